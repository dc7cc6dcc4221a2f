"""Hand memory the allocator holds but no longer uses back to the system.

Loading the informer cache at start parses every stored object's JSON; the text and the parser's
temporaries are freed, but glibc's malloc keeps the freed pages in its heaps, among the long-lived
cached objects. `malloc_trim` returns those pages: 25 MB of a restart with 10,000 Certificates.
The same holds after many objects are deleted: what they held is free, but malloc keeps it (14 MB
once 2,000 Certificates with their Secrets and requests are gone). `MemoryReturner` trims again
once the caches have shrunk by a quarter or more since the last time: when they stop shrinking, or
along the way while thousands go.
"""

from __future__ import annotations

import ctypes
import gc

# A drop worth a full collection and a trim (each costs a few tens of ms at 10,000 objects): a
# quarter of the cache, and this many objects once the cache has stopped shrinking, or
# MIN_DROPPED_OBJECTS while it still shrinks.
MIN_DROPPED_FRACTION = 0.25
MIN_DROPPED_SETTLED = 100
MIN_DROPPED_OBJECTS = 1000
CHECK_EVERY_SECONDS = 2.0


def return_free_memory_to_system() -> None:
    """glibc's malloc_trim(0); nothing on a C library without it (musl, macOS)."""
    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    if trim is not None:
        trim(0)


def dropped_enough(high: int, previous: int, now: int) -> bool:
    """Whether the caches, which held `high` objects at most since the last trim and `previous`
    at the last check, have let go of enough of them that what they held is worth returning."""
    dropped = high - now
    if dropped < MIN_DROPPED_FRACTION * high:
        return False
    return dropped >= (MIN_DROPPED_SETTLED if now == previous else MIN_DROPPED_OBJECTS)


class MemoryReturner:
    """Told how many objects are cached now and then; trims after a large drop."""

    def __init__(self, cached: int) -> None:
        self._high = self._previous = cached

    def cached_now(self, cached: int) -> bool:
        """Record the count; collect cycles and trim if it dropped enough. True if it trimmed."""
        self._high = max(self._high, cached)
        previous, self._previous = self._previous, cached
        if not dropped_enough(self._high, previous, cached):
            return False
        gc.collect()
        return_free_memory_to_system()
        self._high = cached
        return True
