"""One reason an object is invalid: the field's camelCase path and what is allowed there."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    path: str  # e.g. "spec.privateKey.size", "spec.acme.solvers[0].dns01"
    message: str

    def __str__(self) -> str:
        return f"{printable(self.path)}: {printable(self.message)}"


def printable(text: str) -> str:
    """text with control and other unprintable characters escaped (as JSON escapes them). Paths
    carry the user's own keys: a key holding a newline or a terminal escape would otherwise split
    one error over several lines, or rewrite the user's terminal."""
    return text if text.isprintable() else json.dumps(text)[1:-1]
