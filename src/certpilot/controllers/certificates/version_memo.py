"""A bounded memo of results computed from specific object versions.

Keys name the versions a result was computed from (uid + resourceVersion, or uid + generation for a
spec), so a changed object always misses; a None key (an object never stored) always computes.
Least recently used entries go first once `capacity` is reached.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

# How many versions each memo keeps: enough for the Certificates being worked on at once; on a
# restart the controllers check every Certificate in the same order, close together, so a
# Certificate's entries are still there when the next controller reaches it.
MEMO_CAPACITY = 1024


class VersionMemo(Generic[V]):
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[Hashable, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable | None) -> bool:
        if key is None or key not in self._entries:
            return False
        self._entries.move_to_end(key)
        return True

    def put(self, key: Hashable | None, value: V) -> None:
        if key is None:
            return
        self._entries[key] = value
        if len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def get_or_compute(self, key: Hashable | None, compute: Callable[[], V]) -> V:
        if key in self:
            return self._entries[key]
        value = compute()
        self.put(key, value)
        return value

    def clear(self) -> None:
        self._entries.clear()
