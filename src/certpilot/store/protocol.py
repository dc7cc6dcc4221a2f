"""The Store: Kubernetes API semantics that every backend (SQLite, Kubernetes) provides.

Objects are the typed models of `certpilot.api`. Reads return fresh copies: mutating a returned
object never changes the store until it is written back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Generic, Literal, Protocol, TypeVar

from certpilot.api.meta import Resource

T = TypeVar("T", bound=Resource)

WatchEventType = Literal["ADDED", "MODIFIED", "DELETED"]


@dataclass(frozen=True)
class WatchEvent(Generic[T]):
    type: WatchEventType
    object: T


class Store(Protocol):
    async def get(self, kind: type[T], name: str, namespace: str | None = None) -> T:
        """The object, or NotFound."""
        ...

    async def list(
        self,
        kind: type[T],
        namespace: str | None = None,
        label_selector: str | None = None,
    ) -> tuple[list[T], str]:
        """Objects of a kind (all namespaces when namespace is None) and the list resourceVersion.

        label_selector uses Kubernetes syntax: `a=b,c!=d,e in (f,g),!h,i`.
        """
        ...

    def watch(
        self, kind: type[T], resource_version: str | None = None, label_selector: str | None = None
    ) -> AsyncIterator[WatchEvent[T]]:
        """Changes after resource_version (all namespaces), in order, forever. Gone if too old.

        With label_selector, only changes of matching objects; an object changed so that it does
        not match arrives as DELETED (possibly one the watcher never saw: it did not match before
        either), as a Kubernetes watch with a labelSelector does.
        """
        ...

    async def create(self, obj: T) -> T:
        """Sets uid, creationTimestamp, resourceVersion, generation=1. AlreadyExists if taken."""
        ...

    async def update(self, obj: T) -> T:
        """Replaces metadata + spec (status kept). Conflict on stale resourceVersion.

        Bumps generation when spec changed. Removing the last finalizer of an object
        with a deletionTimestamp deletes it.
        """
        ...

    async def update_status(self, obj: T) -> T:
        """Replaces status only. Conflict on stale resourceVersion. Generation unchanged."""
        ...

    async def delete(self, kind: type[T], name: str, namespace: str | None = None) -> None:
        """Finalizers present: set deletionTimestamp. Otherwise remove, then cascade to dependents
        (objects whose ownerReferences name this uid). NotFound if absent."""
        ...

    async def close(self) -> None: ...
