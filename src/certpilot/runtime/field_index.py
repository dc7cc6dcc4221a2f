"""A named secondary index of one kind's cached objects (client-go's Indexers).

`values(obj)` are the strings an object is found under, e.g. a Certificate under its
spec.secretName. Declared once as a module constant and queried through CacheReader.indexed();
the informer builds it on first use and keeps it current on every change, so a lookup costs the
size of its answer instead of a scan of every object of the kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from certpilot.api.meta import Resource

T = TypeVar("T", bound=Resource)


@dataclass(frozen=True, eq=False)
class FieldIndex(Generic[T]):
    name: str
    values: Callable[[T], Iterable[str]]
