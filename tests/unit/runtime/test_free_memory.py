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


def test_only_a_large_drop_is_worth_a_trim() -> None:
    assert free_memory.dropped_enough(30_000, 100)
    assert not free_memory.dropped_enough(30_000, 29_000), "a thirtieth of the cache"
    assert not free_memory.dropped_enough(1_500, 600), "fewer than a thousand objects"


def test_the_returner_trims_once_per_drop(monkeypatch: pytest.MonkeyPatch) -> None:
    libc = CLibrary(has_trim=True)
    monkeypatch.setattr(free_memory.ctypes, "CDLL", lambda name: libc)
    returner = free_memory.MemoryReturner(100)
    assert not returner.cached_now(30_000)
    assert returner.cached_now(200)
    assert not returner.cached_now(200), "nothing dropped since the last trim"
    assert libc.calls == [0]
