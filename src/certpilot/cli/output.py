"""Printing objects as kubectl does: tables, YAML, JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from certpilot.api.meta import Resource
from certpilot.cli.columns import columns_for

console = Console(highlight=False, soft_wrap=True)


def as_yaml(objects: Sequence[Resource], as_list: bool) -> str:
    docs: Any = [o.to_dict() for o in objects]
    docs = {"apiVersion": "v1", "kind": "List", "items": docs} if as_list else docs[0]
    return str(yaml.safe_dump(docs, sort_keys=False, default_flow_style=False))


def as_json(objects: Sequence[Resource], as_list: bool) -> str:
    docs: Any = [o.to_dict() for o in objects]
    docs = {"apiVersion": "v1", "kind": "List", "items": docs} if as_list else docs[0]
    return json.dumps(docs, indent=4)


def print_table(
    kind: str, objects: Sequence[Resource], *, all_namespaces: bool, wide: bool, now: datetime
) -> None:
    columns = columns_for(kind, wide)
    table = Table(box=None, show_edge=False, pad_edge=False, padding=(0, 3, 0, 0), header_style="")
    if all_namespaces:
        table.add_column("NAMESPACE", no_wrap=True)
    table.add_column("NAME", no_wrap=True)
    for column in columns:
        table.add_column(column.header, no_wrap=column.header != "STATUS")
    for obj in objects:
        row = [obj.metadata.namespace or ""] if all_namespaces else []
        row.append(obj.name)
        row.extend(column.value(obj, now) for column in columns)
        table.add_row(*row)
    console.print(table)
