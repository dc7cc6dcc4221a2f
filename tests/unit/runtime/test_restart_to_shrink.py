"""When the daemon restarts itself to give back the memory of deleted objects, and the manager's
part of it: a graceful stop that ends in RestartToReturnMemory."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from certpilot.runtime.manager import Manager
from certpilot.runtime.memory.restart_to_shrink import (
    Footprint,
    RestartPolicy,
    RestartToReturnMemory,
    resident_bytes,
    restart_reason,
    worth_restarting,
)
from certpilot.store.sqlite import SQLiteStore
from tests.unit.runtime.runtime_builders import eventually, secret
from tests.unit.runtime.test_manager import SecretLabeller

MB = 2**20
POLICY = RestartPolicy(rss_factor=1.5, min_shed_objects=3000)
AT_START = Footprint(objects=100, rss_bytes=80 * MB)


def test_restarts_once_most_objects_are_gone_and_memory_stayed_high() -> None:
    assert worth_restarting(POLICY, AT_START, 30_000, Footprint(100, 200 * MB), idle=True)


@pytest.mark.parametrize(
    ("why_not", "policy", "peak", "now", "idle"),
    [
        ("turned off", RestartPolicy(rss_factor=0), 30_000, Footprint(100, 200 * MB), True),
        ("work is queued or running", POLICY, 30_000, Footprint(100, 200 * MB), False),
        ("too few objects went", POLICY, 3_099, Footprint(100, 200 * MB), True),
        ("a quarter of the peak is still cached", POLICY, 30_000, Footprint(7_501, 200 * MB), True),
        ("memory is under 1.5 times that at start", POLICY, 30_000, Footprint(100, 119 * MB), True),
    ],
)
def test_no_restart_when(why_not: str, policy: RestartPolicy, peak: int, now: Footprint, idle: bool) -> None:
    assert not worth_restarting(policy, AT_START, peak, now, idle), why_not


def test_the_edges_are_inclusive() -> None:
    assert worth_restarting(POLICY, AT_START, 3_100, Footprint(100, 120 * MB), idle=True)
    assert worth_restarting(POLICY, AT_START, 30_000, Footprint(7_500, 120 * MB), idle=True)


def test_a_policy_out_of_range_is_refused_naming_the_figure() -> None:
    with pytest.raises(ValueError, match="factor must be 0 \\(off\\) or more, got -1"):
        RestartPolicy(rss_factor=-1)
    with pytest.raises(ValueError, match="minimum must be at least 1, got 0"):
        RestartPolicy(min_shed_objects=0)


def test_the_reason_gives_the_figures() -> None:
    reason = restart_reason(AT_START, 30_000, Footprint(100, 200 * MB))
    assert reason == (
        "restarting to return memory: 200 MB resident, 2.5 times the 80 MB at start; "
        "the caches hold 100 objects, down from 30000"
    )


def test_resident_memory_is_read_on_linux() -> None:
    rss = resident_bytes()
    assert rss is not None and 10 * MB < rss < 10_000 * MB


async def test_the_manager_stops_gracefully_then_raises_for_a_restart(tmp_path: Path) -> None:
    """Objects created and deleted after start: once the labeller has reconciled the deletions,
    the manager stops as it would on SIGTERM and says why it wants a restart."""
    store = SQLiteStore(tmp_path / "store.db")
    # Any memory at all is enough here: only the manager's wiring is under test.
    manager = Manager(store, cache_kinds=[], restart_policy=RestartPolicy(0.001, min_shed_objects=20))
    labeller = manager.add(SecretLabeller)
    assert isinstance(labeller, SecretLabeller)
    running = asyncio.create_task(manager.run_until_signal())
    names = [f"s{i}" for i in range(25)]
    for name in names:
        await store.create(secret(name))
    await eventually(lambda: manager.cache.cached_objects() == 25, "all 25 cached")
    assert manager.cache.peak_objects == 25
    for name in names:
        await store.delete(type(secret(name)), name, "default")
    with pytest.raises(RestartToReturnMemory, match="the caches hold 0 objects, down from 25"):
        await asyncio.wait_for(running, 30)
    assert not manager.ready
    assert labeller.reconciled, "the controller ran before the restart"
