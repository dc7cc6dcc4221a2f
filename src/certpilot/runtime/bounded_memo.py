"""A bounded memo of results computed from exactly the inputs named in their key.

A key must name everything its result depends on (an object version: uid + resourceVersion, or
uid + generation for a spec; a digest of bytes), so a changed input always misses; a None key (an
object never stored) always computes. Least recently used entries go first once `capacity` is
reached. Thread-safe: issuers use their memos on the event loop and in the blocking pool alike.

`forget_object` drops the answers computed from a deleted object's versions, so a memo does not
hold them until newer answers push them out (which may be never). It does so in batches: a deleted
object's uid is noted, and once the noted uids number half the entries, one pass drops every
entry naming any of them (an eighth swept four times as often: ~1 % of a CA issuance's CPU, where
every issuance deletes its temporary key Secret). Nothing is paid on the hot path (filing every
key under its uids on each put cost a restart of 10,000 Certificates ~5 %, and a small dict per uid
per memo), and an answer remembered for a deleted object is still right for the version its key
names: only its memory is at stake.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from enum import Enum, auto
from typing import Generic, TypeVar

from certpilot.runtime.object_versions import names_any_of

V = TypeVar("V")
D = TypeVar("D")

# A sweep runs once the uids of deleted objects number 1/SWEEP_SHARE of the entries.
SWEEP_SHARE = 2


class Missing(Enum):
    """What get answers for a key with nothing remembered, when asked to (None may be a result)."""

    MISSING = auto()


class BoundedMemo(Generic[V]):
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        # uids of deleted objects whose entries the next sweep drops.
        self._deleted: set[str] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable | None) -> bool:
        return self.get(key, Missing.MISSING) is not Missing.MISSING

    def put(self, key: Hashable | None, value: V) -> None:
        if key is None:
            return
        with self._lock:
            entries = self._entries
            entries[key] = value
            entries.move_to_end(key)
            if len(entries) > self.capacity:
                entries.popitem(last=False)

    def forget(self, key: Hashable | None) -> None:
        """Drop what is remembered for key, if anything."""
        if key is None:
            return
        with self._lock:
            self._entries.pop(key, None)

    def forget_object(self, uid: str) -> None:
        """Drop every entry whose key names a version of the object with this uid, which was
        deleted: now when a sweep is due, else in the next one."""
        with self._lock:
            if not self._entries:
                return  # nothing to forget (many memos stay empty: an ACME memo on a CA-only daemon)
            self._deleted.add(uid)
            if len(self._deleted) * SWEEP_SHARE >= len(self._entries):
                self._sweep()

    def _sweep(self) -> None:
        deleted = self._deleted
        if deleted:
            for key in [key for key in self._entries if names_any_of(key, deleted)]:
                del self._entries[key]
            deleted.clear()

    def get(self, key: Hashable | None, default: D) -> V | D:
        """The remembered result for key, or default (nothing is computed)."""
        if key is None:
            return default
        with self._lock:
            entries = self._entries
            if key not in entries:
                return default
            entries.move_to_end(key)
            return entries[key]

    def get_or_compute(self, key: Hashable | None, compute: Callable[[], V]) -> V:
        """The remembered result for key, or compute()'s (remembered; an exception is not)."""
        found = self.get(key, Missing.MISSING)
        if found is not Missing.MISSING:
            return found
        value = compute()
        self.put(key, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._deleted.clear()
