"""What every reconciler is given: the store to write, the informer cache to read, time, events,
and a thread pool for blocking work. Controllers are written against these protocols only."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, ParamSpec, Protocol, TypeVar

from certpilot.api.meta import Resource
from certpilot.runtime.clock import Clock
from certpilot.runtime.field_index import FieldIndex
from certpilot.store.errors import NotFound
from certpilot.store.protocol import Store

T = TypeVar("T", bound=Resource)
P = ParamSpec("P")
R = TypeVar("R")

EventType = Literal["Normal", "Warning"]


class CacheReader(Protocol):
    """Reads from the informers' in-memory cache. Objects returned are shared with the cache:
    never change one in place (cached objects share equal parts): copy first, deeply, or shallowly
    with new objects for the parts that change."""

    def get(self, kind: type[T], name: str, namespace: str | None = None) -> T | None: ...

    def list(
        self,
        kind: type[T],
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> builtins.list[T]:
        """labels: every given label must be present with that value."""
        ...

    def owned_by(self, kind: type[T], owner_uid: str) -> builtins.list[T]:
        """Objects of `kind` with an ownerReference to owner_uid."""
        ...

    def snapshot(self, kind: type[T]) -> builtins.list[T]:
        """Every object of `kind`, unsorted: the one read safe from a thread other than the loop's."""
        ...

    def indexed(
        self, kind: type[T], field_index: FieldIndex[T], value: str, namespace: str | None = None
    ) -> builtins.list[T]:
        """Objects of `kind` that field_index files under value (in namespace, when given): a
        lookup by a field without scanning every object."""
        ...

    def holds_every(self, kind: type[Resource]) -> bool:
        """Whether the cache holds every stored object of `kind`, not only labelled ones (Secrets
        on Kubernetes): then an object it lacks does not exist, or was written a moment ago."""
        ...

    def on_deleted(self, forget: Callable[[Resource], None]) -> None:
        """Call forget(obj) with every cached object deleted from now on, whatever its kind (what
        a controller remembers about an object goes with it). A callable registered again (the
        same bound method of the same memos) is still called once."""
        ...


class EventRecorder(Protocol):
    async def event(self, obj: Resource, type_: EventType, reason: str, message: str) -> None:
        """Record a Kubernetes-style Event about obj (repeats are aggregated by count)."""
        ...


class BlockingRunner(Protocol):
    async def __call__(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run blocking fn (key generation, HTTP calls of sync libraries) in the thread pool."""
        ...


@dataclass(frozen=True)
class ControllerContext:
    store: Store
    cache: CacheReader
    clock: Clock
    events: EventRecorder
    run_blocking: BlockingRunner

    async def cached_or_stored(self, kind: type[T], name: str, namespace: str | None) -> T | None:
        """The object from the cache, else from the store (a kind cached only in part, such as
        Secrets on Kubernetes, or one not yet seen by the informer); None when it does not exist."""
        cached = self.cache.get(kind, name, namespace)
        if cached is not None:
            return cached
        return await self.stored(kind, name, namespace)

    async def lookup(self, kind: type[T], name: str, namespace: str | None) -> T | None:
        """The object as the cache holds it; one the cache lacks is read from the store only for a
        kind the cache holds in part (a user's unlabelled Secret on Kubernetes). A read that finds
        nothing costs a round trip to the store's thread (~165 us of CPU on SQLite), so code that
        must see an object written a moment ago uses cached_or_stored instead."""
        cached = self.cache.get(kind, name, namespace)
        if cached is not None or self.cache.holds_every(kind):
            return cached
        return await self.stored(kind, name, namespace)

    async def stored(self, kind: type[T], name: str, namespace: str | None) -> T | None:
        """The object as stored now, past whatever the cache has not seen yet; None when it does
        not exist. A read of the store: for confirming a costly decision, not for every reconcile."""
        try:
            return await self.store.get(kind, name, namespace)
        except NotFound:
            return None
