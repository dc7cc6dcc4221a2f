"""Leader election: two electors on one real SQLite store, with a FakeClock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from certpilot.api.core import Lease, LeaseSpec
from certpilot.runtime.leader import LeaderElector, claimed_lease_spec, lease_is_free
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock


def electors(store: SQLiteStore, clock: FakeClock) -> tuple[LeaderElector, LeaderElector]:
    options = {"lease_duration": 15, "renew_deadline": 10, "retry_period": 2}
    return (
        LeaderElector(store, clock, "replica-a", **options),  # type: ignore[arg-type]
        LeaderElector(store, clock, "replica-b", **options),  # type: ignore[arg-type]
    )


def test_lease_is_free_when_unheld_expired_or_ours() -> None:
    clock = FakeClock()
    now = clock.now()
    held = LeaseSpec(holder_identity="a", lease_duration_seconds=15, renew_time=now)
    assert lease_is_free(None, "b", now)
    assert lease_is_free(LeaseSpec(), "b", now)
    assert lease_is_free(held, "a", now)
    assert not lease_is_free(held, "b", now + timedelta(seconds=15))
    assert lease_is_free(held, "b", now + timedelta(seconds=16))


def test_taking_over_counts_a_transition_renewing_does_not() -> None:
    now = FakeClock().now()
    first = claimed_lease_spec(None, "a", 15, now)
    assert (first.holder_identity, first.lease_transitions, first.acquire_time) == ("a", 0, now)
    renewed = claimed_lease_spec(first, "a", 15, now + timedelta(seconds=2))
    assert renewed.lease_transitions == 0
    assert renewed.acquire_time == now
    assert renewed.renew_time == now + timedelta(seconds=2)
    taken = claimed_lease_spec(renewed, "b", 15, now + timedelta(seconds=30))
    assert (taken.holder_identity, taken.lease_transitions) == ("b", 1)


async def test_only_one_of_two_electors_leads(store: SQLiteStore) -> None:
    clock = FakeClock()
    a, b = electors(store, clock)
    assert await a.try_acquire_or_renew() is True
    assert await b.try_acquire_or_renew() is False
    clock.advance(10)
    assert await a.try_acquire_or_renew() is True, "the holder renews"
    clock.advance(10)
    assert await b.try_acquire_or_renew() is False, "renewed 10 s ago, lease is 15 s"
    lease = await store.get(Lease, "certpilot-controller", "kube-system")
    assert lease.spec is not None and lease.spec.holder_identity == "replica-a"


async def test_handover_when_the_leader_stops_renewing(store: SQLiteStore) -> None:
    clock = FakeClock()
    a, b = electors(store, clock)
    await a.acquire()
    campaign = asyncio.ensure_future(b.acquire())
    await clock.wait_for_sleepers()
    assert not campaign.done()
    rounds = 0
    while not campaign.done():  # a is silent; b retries every 2 s until a's 15 s lease has run out
        clock.advance(2)
        rounds += 1
        await asyncio.wait_for(clock.wait_for_sleep_or_end(campaign), 10)
        assert rounds <= 9, "b did not take over once a's lease had run out"
    assert rounds == 8
    assert b.is_leader
    lease = await store.get(Lease, "certpilot-controller", "kube-system")
    assert lease.spec is not None
    assert (lease.spec.holder_identity, lease.spec.lease_transitions) == ("replica-b", 1)


async def test_old_leader_gives_up_after_renew_deadline(store: SQLiteStore) -> None:
    clock = FakeClock()
    a, b = electors(store, clock)
    await a.acquire()
    clock.advance(20)
    assert await b.try_acquire_or_renew() is True
    holding = asyncio.ensure_future(a.hold())
    await asyncio.wait_for(clock.wait_for_sleep_or_end(holding), 10)
    rounds = 0
    while not holding.done():  # renewals fail (b holds it) until 10 s have passed
        clock.advance(2)
        rounds += 1
        await asyncio.wait_for(clock.wait_for_sleep_or_end(holding), 10)
        assert rounds <= 6, "a kept leading past its renew deadline"
    assert rounds == 5
    assert not a.is_leader


async def test_release_hands_over_without_waiting(store: SQLiteStore) -> None:
    clock = FakeClock()
    a, b = electors(store, clock)
    await a.acquire()
    await a.release()
    assert await b.try_acquire_or_renew() is True


async def test_a_released_lease_is_taken_at_once_without_waiting_a_retry_period(store: SQLiteStore) -> None:
    """A rolling update: the old leader releases on SIGTERM; the candidate, campaigning, sees the
    Lease change and takes it while the fake clock stands still (no retry period passes)."""
    clock = FakeClock()
    a, b = electors(store, clock)
    await a.acquire()
    campaign = asyncio.create_task(b.acquire())
    await asyncio.wait_for(clock.wait_for_sleepers(), 10)
    assert not campaign.done()

    await a.release()
    await asyncio.wait_for(campaign, 10)
    assert b.is_leader
    lease = await store.get(Lease, "certpilot-controller", "kube-system")
    assert lease.spec is not None and lease.spec.holder_identity == "replica-b"
