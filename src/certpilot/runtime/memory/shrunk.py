"""Hash tables sized again for what they hold.

A dict or set never shrinks when entries are deleted: a queue's set of 10,000 waiting keys, or an
informer's table of 10,000 objects, keeps the memory of its largest size once emptied. `shrunk`
copies one that is far larger than its entries need (the copy is sized for them); a table of any
reasonable fill is returned as it is, so calling it after every deletion costs O(1), and copying
is amortized over the deletions that emptied the table.
"""

from __future__ import annotations

import sys
from typing import Any, TypeVar

Table = TypeVar("Table", bound=dict[Any, Any] | set[Any])

# Below this size a table is left alone; above it, one copied at ~4x over its entries' need.
MIN_SHRINK_BYTES = 64 * 1024
MAX_BYTES_PER_ENTRY = 256


def shrunk(table: Table) -> Table:
    """table, or a copy of it (same type, same entries) when its storage is mostly empty."""
    size = sys.getsizeof(table)
    if size < MIN_SHRINK_BYTES or size < MAX_BYTES_PER_ENTRY * (len(table) + 1):
        return table
    return table.copy()  # type: ignore[return-value]
