"""Free heap pages go back to the system through glibc's malloc_trim, where there is one.

The C library is a stand-in: what malloc_trim returns to the system cannot be asserted reliably in
a test process, and no C library without it (musl, macOS) exists on this machine."""

from __future__ import annotations

import pytest

from certpilot.runtime.memory import free_memory


class CLibrary:
    def __init__(self, has_trim: bool) -> None:
        self.calls: list[int] = []
        if has_trim:
            self.malloc_trim = self.calls.append


def test_trims_with_no_padding_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    libc = CLibrary(has_trim=True)
    monkeypatch.setattr(free_memory.ctypes, "CDLL", lambda name: libc)
    free_memory.return_free_memory_to_system()
    assert libc.calls == [0]


def test_a_c_library_without_malloc_trim_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    libc = CLibrary(has_trim=False)
    monkeypatch.setattr(free_memory.ctypes, "CDLL", lambda name: libc)
    free_memory.return_free_memory_to_system()
    assert libc.calls == []


def test_a_large_drop_is_worth_a_trim_and_a_smaller_one_once_it_has_ended() -> None:
    assert free_memory.dropped_enough(30_000, 20_000, 100)
    assert not free_memory.dropped_enough(30_000, 29_000, 29_000), "a thirtieth of the cache"
    assert not free_memory.dropped_enough(1_500, 900, 600), "still dropping, under a thousand"
    assert free_memory.dropped_enough(1_500, 600, 600), "the drop has ended"
    assert not free_memory.dropped_enough(150, 100, 100), "fewer than a hundred objects"


def test_the_returner_trims_once_per_drop(monkeypatch: pytest.MonkeyPatch) -> None:
    libc = CLibrary(has_trim=True)
    monkeypatch.setattr(free_memory.ctypes, "CDLL", lambda name: libc)
    returner = free_memory.MemoryReturner(100)
    assert not returner.cached_now(30_000)
    assert returner.cached_now(2_000), "dropping by thousands"
    assert not returner.cached_now(1_200), "still dropping, by fewer than a thousand"
    assert returner.cached_now(1_200), "the drop has ended"
    assert not returner.cached_now(1_200), "nothing dropped since the last trim"
    assert libc.calls == [0, 0]
