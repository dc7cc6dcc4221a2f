"""Printing objects as kubectl does: tables, YAML, JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import yaml
from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.text import Text

from certpilot.api.meta import Resource
from certpilot.cli.columns import columns_for

console = Console(highlight=False, soft_wrap=True)
# kubectl's column separator.
SEPARATOR = "   "
# On a narrow terminal a cut column keeps at least this many characters.
MIN_CUT_WIDTH = 3


def as_yaml(objects: Sequence[Resource], as_list: bool) -> str:
    docs: Any = [o.to_dict() for o in objects]
    docs = {"apiVersion": "v1", "kind": "List", "items": docs} if as_list else docs[0]
    return str(yaml.safe_dump(docs, sort_keys=False, default_flow_style=False))


def as_json(objects: Sequence[Resource], as_list: bool) -> str:
    docs: Any = [o.to_dict() for o in objects]
    docs = {"apiVersion": "v1", "kind": "List", "items": docs} if as_list else docs[0]
    return json.dumps(docs, indent=4)


def print_table(
    kind: str,
    objects: Sequence[Resource],
    *,
    all_namespaces: bool,
    wide: bool,
    now: datetime,
    console: Console = console,
) -> None:
    """kubectl's table. Into a pipe or file every cell is printed whole, however wide the lines get;
    on a terminal, columns after NAME are cut (…) so each line fits, and NAMESPACE and NAME are never cut."""
    columns = columns_for(kind, wide)
    headers = (["NAMESPACE"] if all_namespaces else []) + ["NAME"] + [c.header for c in columns]
    rows = [
        ([obj.metadata.namespace or ""] if all_namespaces else [])
        + [obj.name]
        + [column.value(obj, now) for column in columns]
        for obj in objects
    ]
    natural = [max(cell_len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    widths = natural
    if console.is_terminal:
        available = console.width - len(SEPARATOR) * (len(headers) - 1)
        widths = fitted_widths(natural, len(headers) - len(columns), available)
    lines = (table_line(row, widths) for row in [headers, *rows])
    console.file.write("".join(f"{line}\n" for line in lines))


def fitted_widths(natural: list[int], kept: int, available: int) -> list[int]:
    """Column widths that add up to at most `available` where possible: the first `kept` columns keep
    their natural width; the others share the rest, the narrowest served first, none below
    MIN_CUT_WIDTH (a terminal too narrow for that wraps the lines instead)."""
    widths = list(natural)
    left = available - sum(natural[:kept])
    cut = sorted(range(kept, len(natural)), key=lambda i: natural[i])
    for position, index in enumerate(cut):
        share = left // (len(cut) - position)
        widths[index] = min(natural[index], max(share, MIN_CUT_WIDTH))
        left -= widths[index]
    return widths


def table_line(cells: Sequence[str], widths: Sequence[int]) -> str:
    """One row: each cell cut to its column's width (…) and padded, SEPARATOR between columns, no
    trailing spaces."""
    fitted = []
    for cell, width in zip(cells, widths, strict=True):
        text = Text(cell)
        text.truncate(width, overflow="ellipsis")
        fitted.append(set_cell_size(text.plain, width))
    return SEPARATOR.join(fitted).rstrip()
