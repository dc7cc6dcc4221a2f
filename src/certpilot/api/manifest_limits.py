"""The limits a manifest must stay within, so that a hostile or broken file is refused at the door
instead of exhausting the memory or the stack of `apply`, the watched folder or the daemon.

YAML aliases make a small file stand for an enormous document ("billion laughs"): the parser
shares the aliased values, but everything after it (validation, JSON bodies) would copy them out,
so sizes are counted as if every alias were expanded. docs/security.md lists the limits.
"""

from __future__ import annotations

from typing import Any

# Bytes in one manifest file (or standard input). The Kubernetes API server takes 3 MiB a request.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
# Mappings and lists inside one another in one document; a Certificate needs fewer than 10.
MAX_NESTING_DEPTH = 64
# Values (mappings, lists, scalars) in one document, counting each use of an alias in full.
MAX_DOCUMENT_VALUES = 1_000_000
# Characters of text in one document, counting each use of an alias in full.
MAX_DOCUMENT_TEXT = MAX_MANIFEST_BYTES


class LimitExceeded(ValueError):
    """A manifest beyond one of the limits above; the message names the limit."""


def check_manifest_size(size: int) -> None:
    if size > MAX_MANIFEST_BYTES:
        raise LimitExceeded(
            f"the manifest is {size} bytes; the limit is {MAX_MANIFEST_BYTES} bytes (MAX_MANIFEST_BYTES)"
        )


def nesting_too_deep() -> LimitExceeded:
    return LimitExceeded(f"nested deeper than {MAX_NESTING_DEPTH} levels (MAX_NESTING_DEPTH)")


def check_document_size(document: Any) -> None:
    """Raise LimitExceeded when document, its aliases expanded, is too deep or too large. A document
    that contains itself (`&a [*a]`) is infinitely deep."""
    # id of a mapping or list seen before -> (values, characters, levels below and including it)
    sizes: dict[int, tuple[int, int, int]] = {}

    def measure(value: Any, depth: int) -> tuple[int, int, int]:
        if isinstance(value, str):
            return 1, len(value), 0
        if not isinstance(value, dict | list):
            return 1, 0, 0
        known = sizes.get(id(value))
        height = known[2] if known is not None else 1
        if depth + height - 1 > MAX_NESTING_DEPTH:
            raise nesting_too_deep()
        if known is not None:
            return known
        children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        count, text = 1, 0
        for child in children:
            child_count, child_text, child_height = measure(child, depth + 1)
            count, text, height = count + child_count, text + child_text, max(height, child_height + 1)
        if count > MAX_DOCUMENT_VALUES:
            raise LimitExceeded(
                f"more than {MAX_DOCUMENT_VALUES} values once YAML aliases are expanded (MAX_DOCUMENT_VALUES)"
            )
        if text > MAX_DOCUMENT_TEXT:
            raise LimitExceeded(
                f"more than {MAX_DOCUMENT_TEXT} characters of text once YAML aliases are expanded "
                "(MAX_DOCUMENT_TEXT)"
            )
        sizes[id(value)] = count, text, height
        return count, text, height

    measure(document, 1)
