"""The cyclic collector is off while informers load, and what they loaded is frozen afterwards."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from certpilot.runtime.memory.collector_pause import collector_paused_while_loading, thaw_loaded_heap


@pytest.fixture(autouse=True)
def restored_collector() -> Iterator[None]:
    was_enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if was_enabled:
        gc.enable()
    else:
        gc.disable()


def test_paused_while_loading_then_frozen_and_back_on() -> None:
    gc.enable()
    loaded = [[index] for index in range(1000)]
    with collector_paused_while_loading():
        assert not gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(loaded)
    thaw_loaded_heap()
    assert gc.get_freeze_count() == 0


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector_paused_while_loading():
        pass
    assert not gc.isenabled()


def test_the_collector_comes_back_when_loading_fails() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused_while_loading():
        raise RuntimeError("list failed")
    assert gc.isenabled()
