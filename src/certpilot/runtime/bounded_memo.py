"""A bounded memo of results computed from exactly the inputs named in their key.

A key must name everything its result depends on (an object version: uid + resourceVersion, or
uid + generation for a spec; a digest of bytes), so a changed input always misses; a None key (an
object never stored) always computes. Least recently used entries go first once `capacity` is
reached. Thread-safe: issuers use their memos on the event loop and in the blocking pool alike.

Entries whose key names object versions (runtime/object_versions.py) are filed under those
objects' uids too, so `forget_object` drops every answer computed from an object once it is
deleted: a memo of 1,024 parsed certificates would otherwise hold those of deleted Certificates
until 1,024 newer answers pushed them out, which may be never.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from enum import Enum, auto
from typing import Generic, TypeVar

from certpilot.runtime.object_versions import uids_in

V = TypeVar("V")
D = TypeVar("D")


class Missing(Enum):
    """What get answers for a key with nothing remembered, when asked to (None may be a result)."""

    MISSING = auto()


class BoundedMemo(Generic[V]):
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        # Each result with the uids its key names (found once: a restart with 10,000 Certificates
        # puts and evicts hundreds of thousands of entries).
        self._entries: OrderedDict[Hashable, tuple[V, tuple[str, ...]]] = OrderedDict()
        # An ordered set per uid: one uid (an issuer's, say) may be in thousands of keys.
        self._keys_by_uid: dict[str, dict[Hashable, None]] = {}
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
            known = entries.get(key)
            if known is not None:
                entries[key] = (value, known[1])
                entries.move_to_end(key)
                return
            uids = uids_in(key)
            for uid in uids:
                self._keys_by_uid.setdefault(uid, {})[key] = None
            entries[key] = (value, uids)
            while len(entries) > self.capacity:
                oldest, (_, oldest_uids) = entries.popitem(last=False)
                self._unfile(oldest, oldest_uids)

    def forget(self, key: Hashable | None) -> None:
        """Drop what is remembered for key, if anything."""
        if key is None:
            return
        with self._lock:
            known = self._entries.pop(key, None)
            if known is not None:
                self._unfile(key, known[1])

    def forget_object(self, uid: str) -> None:
        """Drop every entry whose key names a version of the object with this uid."""
        with self._lock:
            for key in self._keys_by_uid.pop(uid, ()):
                _, uids = self._entries.pop(key)
                self._unfile(key, uids)

    def _unfile(self, key: Hashable, uids: tuple[str, ...]) -> None:
        """Remove a key that is no longer in the memo from the uid sets it was filed in."""
        for uid in uids:
            keys = self._keys_by_uid.get(uid)
            if keys is None:
                continue
            del keys[key]
            if not keys:
                del self._keys_by_uid[uid]

    def get(self, key: Hashable | None, default: D) -> V | D:
        """The remembered result for key, or default (nothing is computed)."""
        if key is None:
            return default
        with self._lock:
            known = self._entries.get(key)
            if known is None:
                return default
            self._entries.move_to_end(key)
            return known[0]

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
            self._keys_by_uid.clear()
