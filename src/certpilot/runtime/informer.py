"""An informer: one kind listed then watched from the store into an in-memory, indexed cache.

Objects in the cache are shared with every reader: copy before mutating (equal nested parts are
also shared between cached objects: runtime.shared_parts). Handlers are called in
event order, synchronously, and must not block (they only enqueue keys). Change handlers also get
the object the change replaced (None when added, listed for the first time, or deleted), so a
controller can ignore changes it does not act on.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

from certpilot.api.meta import Resource
from certpilot.api.read_only import freeze
from certpilot.runtime.clock import Clock
from certpilot.runtime.field_index import FieldIndex
from certpilot.runtime.memory.shared_parts import SharedParts
from certpilot.runtime.memory.shrunk import shrunk
from certpilot.runtime.workqueue import backoff_delay
from certpilot.store.errors import Gone
from certpilot.store.protocol import Store, WatchEvent, WatchEventType

T = TypeVar("T", bound=Resource)

CacheKey = tuple[str | None, str]
EventHandler = Callable[[WatchEventType, T], None]
# (event type, the replaced object or None, the object now (or as it was deleted))
ChangeHandler = Callable[[WatchEventType, T | None, T], None]

log = logging.getLogger(__name__)


def cache_key(obj: Resource) -> CacheKey:
    return (obj.metadata.namespace if obj.NAMESPACED else None, obj.name)


class Indexed(Generic[T]):
    """Objects of one kind by (namespace, name), with namespace, owner-uid and label indexes, and
    the field indexes asked for (built on first use)."""

    def __init__(self) -> None:
        self.objects: dict[CacheKey, T] = {}
        self._by_namespace: defaultdict[str | None, set[CacheKey]] = defaultdict(set)
        self._by_owner: defaultdict[str, set[CacheKey]] = defaultdict(set)
        self._by_label: defaultdict[tuple[str, str], set[CacheKey]] = defaultdict(set)
        self._by_field: dict[FieldIndex[T], defaultdict[str, set[CacheKey]]] = {}

    def put(self, obj: T) -> T | None:
        """Store obj; returns the object it replaced."""
        key = cache_key(obj)
        old = self.remove(key)
        self.objects[key] = obj
        self._by_namespace[key[0]].add(key)
        for ref in obj.metadata.owner_references or ():
            self._by_owner[ref.uid].add(key)
        for label in (obj.metadata.labels or {}).items():
            self._by_label[label].add(key)
        for field_index, members in self._by_field.items():
            for value in field_index.values(obj):
                members[value].add(key)
        return old

    def remove(self, key: CacheKey) -> T | None:
        old = self.objects.pop(key, None)
        if old is None:
            return None
        self.objects = shrunk(self.objects)
        _discard(self._by_namespace, key[0], key)
        for ref in old.metadata.owner_references or ():
            _discard(self._by_owner, ref.uid, key)
        for label in (old.metadata.labels or {}).items():
            _discard(self._by_label, label, key)
        for field_index, members in self._by_field.items():
            for value in field_index.values(old):
                _discard(members, value, key)
        return old

    def by_field(self, field_index: FieldIndex[T], value: str, namespace: str | None = None) -> list[T]:
        """Objects indexed under value (in one namespace when given), sorted by namespace and name."""
        members = self._by_field.get(field_index)
        if members is None:
            members = defaultdict(set)
            for key, obj in self.objects.items():
                for indexed_value in field_index.values(obj):
                    members[indexed_value].add(key)
            self._by_field[field_index] = members
        keys = members.get(value, ())
        return [
            self.objects[k] for k in sorted(keys, key=_sort_key) if namespace is None or k[0] == namespace
        ]

    def get(self, name: str, namespace: str | None) -> T | None:
        return self.objects.get((namespace, name))

    def snapshot(self) -> list[T]:
        """Every object, unsorted, for a reader on another thread (the metrics server): one copy
        made in C while holding the GIL, so the event loop cannot change the dict half-way."""
        return list(self.objects.values())

    def select(self, namespace: str | None = None, labels: Mapping[str, str] | None = None) -> list[T]:
        candidates: set[CacheKey] | None = None
        if namespace is not None:
            candidates = set(self._by_namespace.get(namespace, ()))
        for label in (labels or {}).items():
            matching = self._by_label.get(label, set())
            candidates = set(matching) if candidates is None else candidates & matching
        keys = self.objects.keys() if candidates is None else candidates
        return [self.objects[k] for k in sorted(keys, key=_sort_key)]

    def owned_by(self, owner_uid: str) -> list[T]:
        return [self.objects[k] for k in sorted(self._by_owner.get(owner_uid, ()), key=_sort_key)]


def _sort_key(key: CacheKey) -> tuple[str, str]:
    return (key[0] or "", key[1])


def _discard(index: defaultdict[_K, set[CacheKey]], at: _K, key: CacheKey) -> None:
    members = index.get(at)
    if members is not None:
        members.discard(key)
        if not members:
            del index[at]
        else:
            index[at] = shrunk(members)


_K = TypeVar("_K")


class Informer(Generic[T]):
    def __init__(
        self,
        store: Store,
        kind: type[T],
        clock: Clock,
        *,
        retry_base_delay: float = 0.5,
        retry_max_delay: float = 30.0,
        label_selector: str | None = None,
    ) -> None:
        self.kind = kind
        # Only objects with these labels are cached (cert-manager's filtered Secret cache).
        self.label_selector = label_selector
        self._store = store
        self._clock = clock
        self._retry_base = retry_base_delay
        self._retry_cap = retry_max_delay
        self.cache: Indexed[T] = Indexed()
        self._shared_parts = SharedParts()
        # Cached objects at most since shared parts were last swept for ones no object holds.
        self._most_cached = 0
        self._handlers: list[ChangeHandler[T]] = []
        self._synced = asyncio.Event()
        self._resource_version: str | None = None

    def add_handler(self, handler: EventHandler[T]) -> None:
        """Called for every change; a handler added before run() also sees the initial list as ADDED."""
        self._handlers.append(lambda type_, _, obj: handler(type_, obj))

    def add_change_handler(self, handler: ChangeHandler[T]) -> None:
        """As add_handler, with the replaced object too (MODIFIED only; None otherwise)."""
        self._handlers.append(handler)

    @property
    def synced(self) -> bool:
        return self._synced.is_set()

    async def wait_synced(self) -> None:
        await self._synced.wait()

    async def run(self) -> None:
        """List, then watch, forever: re-list when the watch is too old, back off on errors."""
        failures = 0
        need_list = True
        while True:
            try:
                if need_list:
                    await self._list()
                    need_list = False
                async for event in self._store.watch(
                    self.kind, self._resource_version, label_selector=self.label_selector
                ):
                    self._apply(event)
                    failures = 0
            except Gone:
                log.info("watch expired, listing again", extra={"kind": self.kind.KIND})
                need_list = True
                continue
            except asyncio.CancelledError:
                raise
            except Exception as error:
                delay = backoff_delay(failures, self._retry_base, self._retry_cap)
                failures += 1
                log.warning(
                    "list/watch failed, retrying",
                    extra={"kind": self.kind.KIND, "error": type(error).__name__, "retry_in": delay},
                )
                await self._clock.sleep(delay)
                continue
            # The watch ended without error (the store closed the stream): resume it, gently.
            await self._clock.sleep(self._retry_base)

    async def _list(self) -> None:
        objects, resource_version = await self._store.list(self.kind, label_selector=self.label_selector)
        listed = {cache_key(o): o for o in objects}
        for key in [k for k in self.cache.objects if k not in listed]:
            gone = self.cache.remove(key)
            if gone is not None:
                self._notify("DELETED", None, gone)
        for obj in objects:
            self._publish(obj)
            old = self.cache.put(obj)
            if old is None:
                self._notify("ADDED", None, obj)
            elif old.metadata.resource_version != obj.metadata.resource_version:
                self._notify("MODIFIED", old, obj)
        self._resource_version = resource_version
        self._synced.set()

    def _apply(self, event: WatchEvent[T]) -> None:
        obj = event.object
        old = None
        if event.type == "DELETED":
            if self.cache.remove(cache_key(obj)) is None:
                return  # a filtered watch's object that never matched: nothing was cached
            self._sweep_shared_parts_after_drops()
        else:
            self._publish(obj)
            old = self.cache.put(obj)
        if obj.metadata.resource_version:
            self._resource_version = obj.metadata.resource_version
        self._notify(event.type, old if event.type == "MODIFIED" else None, obj)

    def _sweep_shared_parts_after_drops(self) -> None:
        """Once the cache has halved since the last sweep (so a sweep's cost is spread over the
        deletions), drop shared parts that no cached object holds any more."""
        cached = len(self.cache.objects)
        self._most_cached = max(self._most_cached, cached + 1)
        if cached * 2 <= self._most_cached:
            self._shared_parts.forget_unused()
            self._most_cached = cached

    def _publish(self, obj: T) -> None:
        """Make obj read-only, then share its equal parts with other cached objects."""
        freeze(obj)
        self._shared_parts.share(obj)

    def _notify(self, type_: WatchEventType, old: T | None, obj: T) -> None:
        for handler in self._handlers:
            try:
                handler(type_, old, obj)
            except Exception:
                log.exception("event handler failed", extra={"kind": self.kind.KIND, "object": obj.key})
