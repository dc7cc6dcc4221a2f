"""The CacheReader controllers read through: one informer per kind, shared by every controller.

Returned objects are the cache's own, and equal parts are shared between them (shared_parts.py):
never change one in place. Copy first: a deep copy, or a shallow one whose changed parts are new.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from certpilot.api.meta import Resource
from certpilot.runtime.clock import Clock
from certpilot.runtime.field_index import FieldIndex
from certpilot.runtime.informer import Informer
from certpilot.store.protocol import Store, WatchEventType

T = TypeVar("T", bound=Resource)


class KindNotCached(LookupError):
    """A controller read a kind from the cache that no informer serves."""

    def __init__(self, kind: type[Resource]) -> None:
        super().__init__(
            f"{kind.KIND} is not in the informer cache: add it to the controller's watches or to "
            "the Manager's cache_kinds, or read it from the store"
        )


class InformerCache:
    def __init__(
        self, store: Store, clock: Clock, label_selectors: Mapping[type[Resource], str] | None = None
    ) -> None:
        self._store = store
        self._clock = clock
        self._informers: dict[type[Resource], Informer[Any]] = {}
        # Kinds cached only in part: objects without these labels are read from the store.
        self._label_selectors = dict(label_selectors or {})
        # Called with every deleted object (a dict: each callable once, in registration order).
        self._deletion_listeners: dict[Callable[[Resource], None], None] = {}
        # The most objects the informers held together just before a deletion (see peak_objects).
        self._most_before_a_deletion = 0

    def informer(self, kind: type[T]) -> Informer[T]:
        """The shared informer of a kind, created on first request (started by the Manager)."""
        existing = self._informers.get(kind)
        if existing is None:
            existing = Informer(
                self._store, kind, self._clock, label_selector=self._label_selectors.get(kind)
            )
            existing.add_handler(self._on_change)
            self._informers[kind] = existing
        return cast(Informer[T], existing)

    def on_deleted(self, forget: Callable[[Resource], None]) -> None:
        """Call forget(obj) with every object of every cached kind deleted from now on."""
        self._deletion_listeners[forget] = None

    def _on_change(self, type_: WatchEventType, obj: Resource) -> None:
        if type_ == "DELETED":
            # Counted here, not at every addition: loading 30,000 objects at start pays nothing.
            held = self.cached_objects() + 1
            self._most_before_a_deletion = max(self._most_before_a_deletion, held)
            for forget in self._deletion_listeners:
                forget(obj)

    def cached_objects(self) -> int:
        """Objects of every kind in the cache now."""
        return sum(len(i.cache.objects) for i in self._informers.values())

    @property
    def peak_objects(self) -> int:
        """The most objects the cache has held at once: the count only falls by deletions, so its
        highest point came just before one of them, or is now."""
        return max(self._most_before_a_deletion, self.cached_objects())

    @property
    def informers(self) -> list[Informer[Any]]:
        return list(self._informers.values())

    @property
    def synced(self) -> bool:
        return all(i.synced for i in self._informers.values())

    def holds_every(self, kind: type[Resource]) -> bool:
        return kind not in self._label_selectors

    def _served(self, kind: type[T]) -> Informer[T]:
        # No typing.cast: a Python call on every cache read. An Informer[Any] is an Informer[T].
        informer: Informer[Any] | None = self._informers.get(kind)
        if informer is None:
            raise KindNotCached(kind)
        return informer

    def get(self, kind: type[T], name: str, namespace: str | None = None) -> T | None:
        return self._served(kind).cache.get(name, namespace if kind.NAMESPACED else None)

    def list(
        self,
        kind: type[T],
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> builtins.list[T]:
        return self._served(kind).cache.select(namespace, labels)

    def snapshot(self, kind: type[T]) -> builtins.list[T]:
        """Every cached object of a kind, unsorted; the one read that is safe from another thread."""
        return self._served(kind).cache.snapshot()

    def owned_by(self, kind: type[T], owner_uid: str) -> builtins.list[T]:
        return self._served(kind).cache.owned_by(owner_uid)

    def indexed(
        self, kind: type[T], field_index: FieldIndex[T], value: str, namespace: str | None = None
    ) -> builtins.list[T]:
        return self._served(kind).cache.by_field(field_index, value, namespace if kind.NAMESPACED else None)
