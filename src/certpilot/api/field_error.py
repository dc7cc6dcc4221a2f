"""One reason an object is invalid: the field's camelCase path and what is allowed there."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    path: str  # e.g. "spec.privateKey.size", "spec.acme.solvers[0].dns01"
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"
