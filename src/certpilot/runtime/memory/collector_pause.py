"""The cyclic garbage collector around the informers' initial load.

A restart with 10,000 Certificates builds about a million objects while the informers list; every
full collection during that scans all of them again (0.6 s of a restart, and 0.3 s for each full
collection after it). The objects a list creates hold no reference cycles, so the collector has
nothing to find there: it is paused while loading, then everything loaded is moved to the
permanent generation (`gc.freeze`), which later collections skip. Reference counting still frees
every loaded object that is replaced or deleted; only a frozen object in a reference cycle would
wait until `thaw_loaded_heap` (at shutdown) to be collected.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused_while_loading() -> Iterator[None]:
    """No cyclic collection inside the block; afterwards what is alive is frozen, and the collector
    is back on (unless it was off before)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def thaw_loaded_heap() -> None:
    """Make frozen objects collectable again (once the daemon stops, what it loaded is garbage)."""
    gc.unfreeze()
