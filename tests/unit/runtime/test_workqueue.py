"""The work queue: dedup, backoff growth and cap, reset, timed requeues on a FakeClock."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certpilot.runtime.controller import ObjectKey
from certpilot.runtime.workqueue import STALE_TIMERS_KEPT, WorkQueue, backoff_delay, timer_needs_rearming
from certpilot.testing.clock import FakeClock

A = ObjectKey("ns", "a")
B = ObjectKey("ns", "b")
C = ObjectKey(None, "c")


async def next_key(queue: WorkQueue) -> ObjectKey | None:
    return await asyncio.wait_for(queue.get(), timeout=5)


def test_backoff_doubles_from_base() -> None:
    assert [backoff_delay(n, 0.05, 300) for n in range(4)] == [0.05, 0.1, 0.2, 0.4]


def test_backoff_is_capped() -> None:
    assert backoff_delay(20, 0.05, 300) == 300
    assert backoff_delay(10_000, 0.05, 300) == 300


@given(st.integers(min_value=0, max_value=500))
def test_backoff_never_decreases_and_never_exceeds_cap(n: int) -> None:
    assert backoff_delay(n) <= backoff_delay(n + 1) <= 300


async def test_a_key_added_twice_is_handed_out_once() -> None:
    queue = WorkQueue(FakeClock())
    queue.add(A)
    queue.add(A)
    queue.add(B)
    assert len(queue) == 2
    assert await next_key(queue) == A
    assert await next_key(queue) == B
    assert len(queue) == 0


async def test_a_key_readded_while_processing_comes_back_after_done() -> None:
    queue = WorkQueue(FakeClock())
    queue.add(A)
    key = await next_key(queue)
    queue.add(A)
    assert len(queue) == 0, "must not be handed to a second worker while processing"
    queue.done(key)  # type: ignore[arg-type]
    assert await next_key(queue) == A


async def test_done_without_readd_does_not_requeue() -> None:
    queue = WorkQueue(FakeClock())
    queue.add(A)
    queue.done(await next_key(queue))  # type: ignore[arg-type]
    assert len(queue) == 0


async def test_get_waits_for_an_add() -> None:
    queue = WorkQueue(FakeClock())
    waiter = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    assert not waiter.done()
    queue.add(B)
    assert await asyncio.wait_for(waiter, 5) == B


async def test_add_after_waits_for_fake_time() -> None:
    clock = FakeClock()
    queue = WorkQueue(clock)
    queue.add_after(A, 30)
    waiter = asyncio.ensure_future(queue.get())
    await clock.wait_for_sleepers()
    clock.advance(29)
    await asyncio.sleep(0)
    assert not waiter.done()
    clock.advance(1)
    assert await asyncio.wait_for(waiter, 5) == A


async def test_add_after_keeps_the_earliest_time() -> None:
    clock = FakeClock()
    queue = WorkQueue(clock)
    queue.add_after(A, 60)
    queue.add_after(A, 10)
    queue.add_after(A, 100)
    assert queue.waiting_until(A) == clock.now() + timedelta(seconds=10)
    clock.advance(10)
    assert await next_key(queue) == A
    assert queue.waiting_until(A) is None


async def test_timed_keys_come_out_in_due_order() -> None:
    clock = FakeClock()
    queue = WorkQueue(clock)
    queue.add_after(A, 30)
    queue.add_after(B, 10)
    queue.add_after(C, 20)
    clock.advance(30)
    assert [await next_key(queue) for _ in range(3)] == [B, C, A]


async def test_an_earlier_add_after_wakes_a_waiting_worker() -> None:
    clock = FakeClock()
    queue = WorkQueue(clock)
    queue.add_after(A, 3600)
    waiter = asyncio.ensure_future(queue.get())
    await clock.wait_for_sleepers()
    queue.add_after(B, 5)
    await asyncio.sleep(0)
    clock.advance(5)
    assert await asyncio.wait_for(waiter, 5) == B


async def test_rate_limited_delays_grow_until_forget() -> None:
    clock = FakeClock()
    queue = WorkQueue(clock, base_delay=1, max_delay=4)
    delays = []
    for _ in range(4):
        delays.append(queue.add_rate_limited(A))
        clock.advance(delays[-1])
        queue.done(await next_key(queue))  # type: ignore[arg-type]
    assert delays == [1, 2, 4, 4]
    assert queue.failures(A) == 4
    queue.forget(A)
    assert queue.failures(A) == 0
    assert queue.add_rate_limited(A) == 1


async def test_backoff_is_per_key() -> None:
    queue = WorkQueue(FakeClock(), base_delay=1)
    queue.add_rate_limited(A)
    queue.add_rate_limited(A)
    assert queue.add_rate_limited(B) == 1


async def test_shut_down_releases_waiting_workers() -> None:
    queue = WorkQueue(FakeClock())
    waiters = [asyncio.ensure_future(queue.get()) for _ in range(3)]
    await asyncio.sleep(0)
    queue.shut_down()
    assert await asyncio.wait_for(asyncio.gather(*waiters), 5) == [None, None, None]
    queue.add(A)
    assert len(queue) == 0


@pytest.mark.parametrize("seconds", [0, -1])
async def test_add_after_with_no_delay_is_immediate(seconds: float) -> None:
    queue = WorkQueue(FakeClock())
    queue.add_after(A, seconds)
    assert len(queue) == 1


def test_a_running_timer_serves_any_later_due_time() -> None:
    armed = datetime(2026, 1, 1, tzinfo=UTC)
    assert not timer_needs_rearming(armed, armed)
    assert not timer_needs_rearming(armed, armed + timedelta(seconds=1))
    assert timer_needs_rearming(armed, armed - timedelta(seconds=1))
    assert timer_needs_rearming(None, armed)


async def test_waiting_workers_share_one_timer() -> None:
    clock = FakeClock()
    queue = WorkQueue(clock)
    queue.add_after(A, 30)
    queue.add_after(B, 60)
    waiters = [asyncio.ensure_future(queue.get()) for _ in range(3)]
    await clock.wait_for_sleepers()
    for _ in range(5):
        await asyncio.sleep(0)
    assert clock.sleepers == 1
    clock.advance(60)
    done, waiting = await asyncio.wait(waiters, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    if len(done) < 2:
        more, waiting = await asyncio.wait(waiting, timeout=5, return_when=asyncio.FIRST_COMPLETED)
        done |= more
    assert sorted(str(w.result()) for w in done) == ["ns/a", "ns/b"]
    queue.shut_down()
    assert [await asyncio.wait_for(w, 5) for w in waiting] == [None]


async def test_one_added_key_wakes_one_worker_and_each_further_key_another() -> None:
    queue = WorkQueue(FakeClock())
    first, second = asyncio.ensure_future(queue.get()), asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.add(A)
    assert await asyncio.wait_for(first, 5) == A
    await asyncio.sleep(0)
    assert not second.done()
    queue.add(B)
    assert await asyncio.wait_for(second, 5) == B


async def test_a_woken_worker_cancelled_before_taking_its_key_passes_the_key_on() -> None:
    queue = WorkQueue(FakeClock())
    cancelled, other = asyncio.ensure_future(queue.get()), asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.add(A)  # wakes `cancelled`, which is cancelled before it runs
    cancelled.cancel()
    assert await asyncio.wait_for(other, 5) == A


async def test_a_dropped_key_keeps_no_timer_nor_backoff() -> None:
    clock = FakeClock()
    queue = WorkQueue(clock)
    queue.add_rate_limited(A)
    queue.add_after(A, 86_400 * 60)  # a renewal months away: the backoff retry is earlier
    queue.add_after(B, 30)
    queue.drop_timed(A)
    assert queue.waiting_until(A) is None
    assert queue.failures(A) == 0
    clock.advance(300)
    assert await next_key(queue) == B


async def test_timers_of_dropped_keys_leave_the_heap() -> None:
    clock = FakeClock()
    queue = WorkQueue(clock)
    keys = [ObjectKey("ns", f"k{i}") for i in range(1000)]
    for key in keys:
        queue.add_after(key, 86_400)
    for key in keys:
        queue.drop_timed(key)
    assert len(queue._timers) <= STALE_TIMERS_KEPT


async def test_idle_only_with_nothing_waiting_or_running() -> None:
    queue = WorkQueue(FakeClock())
    assert queue.is_idle()
    queue.add_after(A, 60)
    assert queue.is_idle(), "a key due later is not work now"
    queue.add(B)
    assert not queue.is_idle()
    key = await next_key(queue)
    assert not queue.is_idle(), "handed to a worker, still running"
    assert key is not None
    queue.done(key)
    assert queue.is_idle()


async def test_a_drained_queue_gives_back_the_memory_of_its_peak() -> None:
    """Once drained, and once its timers have fired, the queue's tables are sized for what they
    hold, not for the 10,000 keys they held at their peak."""
    clock = FakeClock()
    queue = WorkQueue(clock)
    keys = [ObjectKey("ns", f"k{i}") for i in range(10_000)]
    for key in keys:
        queue.add(key)
        queue.add_after(key, 60)
    peak = sys.getsizeof(queue._dirty), sys.getsizeof(queue._due)
    for _ in keys:
        queue.done(await next_key(queue))  # type: ignore[arg-type]
    assert sys.getsizeof(queue._dirty) * 4 < peak[0]
    clock.advance(61)
    for _ in keys:  # each timed requeue fires and is handed out
        queue.done(await next_key(queue))  # type: ignore[arg-type]
    assert not queue._due
    assert sys.getsizeof(queue._due) * 4 < peak[1]
