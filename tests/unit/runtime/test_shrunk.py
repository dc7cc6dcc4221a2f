"""Hash tables copied smaller once mostly emptied (dicts and sets never shrink on deletion)."""

from __future__ import annotations

import sys
from collections import defaultdict

from certpilot.runtime.memory.shrunk import shrunk


def test_a_mostly_emptied_table_is_copied_smaller_with_the_same_entries() -> None:
    table = {i: str(i) for i in range(10_000)}
    members = set(range(10_000))
    for i in range(9_990):
        del table[i]
        members.discard(i)
    smaller, fewer = shrunk(table), shrunk(members)
    assert smaller == table and fewer == members
    assert sys.getsizeof(smaller) * 100 < sys.getsizeof(table)
    assert sys.getsizeof(fewer) * 100 < sys.getsizeof(members)


def test_a_full_or_small_table_is_the_same_table() -> None:
    full = {i: i for i in range(10_000)}
    small = {1: 1}
    assert shrunk(full) is full
    assert shrunk(small) is small


def test_the_copy_keeps_the_type() -> None:
    index: defaultdict[int, set[int]] = defaultdict(set)
    index.update({i: {i} for i in range(10_000)})
    for i in range(9_999):
        del index[i]
    copy = shrunk(index)
    assert copy is not index and isinstance(copy, defaultdict)
    assert copy[-1] == set()
