"""A controller's queue of keys: each key queued once, per-key exponential backoff, timed requeues.

Semantics follow client-go's workqueue: a key added while queued is not duplicated; a key added
while a worker processes it is processed again once that worker calls `done()` — never by two
workers at once. Delays are measured on the injected Clock, so tests with a FakeClock don't sleep.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import deque
from datetime import datetime, timedelta

from certpilot.runtime.clock import Clock
from certpilot.runtime.controller import ObjectKey
from certpilot.runtime.memory.shrunk import shrunk

DEFAULT_BASE_DELAY = 0.05
DEFAULT_MAX_DELAY = 300.0
# Timers whose key was dropped stay in the heap until it is rebuilt, once they outnumber the rest.
STALE_TIMERS_KEPT = 64


def backoff_delay(failures: int, base: float = DEFAULT_BASE_DELAY, cap: float = DEFAULT_MAX_DELAY) -> float:
    """Seconds to wait before retry number `failures` (0-based): base * 2^failures, at most cap."""
    if failures >= 64:  # 2**64 * any sane base is far past any cap; avoids float overflow
        return cap
    return min(cap, base * 2.0**failures)


class WorkQueue:
    def __init__(
        self,
        clock: Clock,
        *,
        base_delay: float = DEFAULT_BASE_DELAY,
        max_delay: float = DEFAULT_MAX_DELAY,
    ) -> None:
        self._clock = clock
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._ready: deque[ObjectKey] = deque()
        self._dirty: set[ObjectKey] = set()
        self._processing: set[ObjectKey] = set()
        self._due: dict[ObjectKey, datetime] = {}
        # (due, order, key); entries whose due no longer matches _due[key] are stale and skipped.
        self._timers: list[tuple[datetime, int, ObjectKey]] = []
        self._order = itertools.count()
        self._failures: dict[ObjectKey, int] = {}
        # Idle workers, each woken alone: a key added wakes one worker, not all (a herd of workers
        # waking to find one key cost a loop turn each).
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._shut_down = False
        # One timer per queue, for the earliest due time, which promotes due keys itself.
        self._timer: asyncio.Task[None] | None = None
        self._timer_due: datetime | None = None

    def __len__(self) -> int:
        """Keys ready to be handed to a worker now."""
        return len(self._ready)

    def is_idle(self) -> bool:
        """Nothing waiting to be handed out and nothing being reconciled (timers aside)."""
        return not self._dirty and not self._processing

    def add(self, key: ObjectKey) -> None:
        if self._shut_down or key in self._dirty:
            return
        self._dirty.add(key)
        if key not in self._processing:
            self._ready.append(key)
            self._wake_one()

    def add_after(self, key: ObjectKey, seconds: float) -> None:
        """Queue key once `seconds` have passed; if already waiting, the earlier time wins."""
        if self._shut_down:
            return
        if seconds <= 0:
            self.add(key)
            return
        due = self._clock.now() + timedelta(seconds=seconds)
        current = self._due.get(key)
        if current is not None and current <= due:
            return
        self._due[key] = due
        heapq.heappush(self._timers, (due, next(self._order), key))
        if self._waiters:
            self._arm_timer()

    def add_rate_limited(self, key: ObjectKey) -> float:
        """Requeue after a failure, with this key's next backoff delay. Returns the delay."""
        failures = self._failures.get(key, 0)
        delay = backoff_delay(failures, self._base_delay, self._max_delay)
        self._failures[key] = failures + 1
        self.add_after(key, delay)
        return delay

    def forget(self, key: ObjectKey) -> None:
        """The key succeeded: its next failure starts the backoff from the beginning."""
        if self._failures.pop(key, None) is not None:
            self._failures = shrunk(self._failures)

    def drop_timed(self, key: ObjectKey) -> None:
        """The key's object was deleted: its timed requeue (a renewal months away) and its backoff
        go with it, instead of holding the key until the time comes."""
        self.forget(key)
        if self._due.pop(key, None) is None:
            return
        self._due = shrunk(self._due)
        if len(self._timers) > 2 * len(self._due) + STALE_TIMERS_KEPT:
            self._timers = [t for t in self._timers if self._due.get(t[2]) == t[0]]
            heapq.heapify(self._timers)

    def failures(self, key: ObjectKey) -> int:
        return self._failures.get(key, 0)

    def waiting_until(self, key: ObjectKey) -> datetime | None:
        """When a timed requeue of key is due, if one is pending."""
        return self._due.get(key)

    async def get(self) -> ObjectKey | None:
        """The next key to process (the caller must call done(key)), or None once shut down."""
        while True:
            if self._shut_down:
                return None
            self._promote_due_timers()
            if self._ready:
                key = self._ready.popleft()
                self._dirty.discard(key)
                if not self._ready:
                    # Drained: what is left queued is at most a key per worker, re-added while
                    # processed (checking on every get cost ~1 % of a restart).
                    self._dirty = shrunk(self._dirty)
                self._processing.add(key)
                return key
            self._arm_timer()
            await self._wait()

    def done(self, key: ObjectKey) -> None:
        self._processing.discard(key)  # at most a key per worker: it never needs shrinking
        if key in self._dirty and not self._shut_down:
            self._ready.append(key)
            self._wake_one()

    def shut_down(self) -> None:
        """Stop handing out keys: every get() returns None, pending work is dropped."""
        self._shut_down = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
        if self._timer is not None:
            self._timer.cancel()

    def _promote_due_timers(self) -> None:
        if not self._timers or not timer_needs_rearming(self._armed_due, self._timers[0][0]):
            return  # nothing timed, or the running timer promotes the earliest when it is due
        now = self._clock.now()
        due_count = len(self._due)
        while self._timers and self._timers[0][0] <= now:
            due, _, key = heapq.heappop(self._timers)
            if self._due.get(key) == due:
                del self._due[key]
                self.add(key)
        if len(self._due) < due_count:
            self._due = shrunk(self._due)

    def _next_live_due(self) -> datetime | None:
        while self._timers and self._due.get(self._timers[0][2]) != self._timers[0][0]:
            heapq.heappop(self._timers)
        return self._timers[0][0] if self._timers else None

    async def _wait(self) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            # Woken, then cancelled before taking a key: the wake-up goes to another worker.
            if waiter.done() and not waiter.cancelled():
                self._wake_one()
            raise

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _arm_timer(self) -> None:
        """Keep one timer running for the earliest due time. A wait used to start two tasks of its
        own (the change, the sleep) and cancelled them again, every time a worker went idle."""
        due = self._next_live_due()
        if due is None or not timer_needs_rearming(self._armed_due, due):
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_due = due
        self._timer = asyncio.ensure_future(self._wake_at(due))

    @property
    def _armed_due(self) -> datetime | None:
        """The due time the running timer waits for, if one runs."""
        return self._timer_due if self._timer is not None and not self._timer.done() else None

    async def _wake_at(self, due: datetime) -> None:
        await self._clock.sleep((due - self._clock.now()).total_seconds())
        self._timer = None
        self._promote_due_timers()
        if not self._shut_down:
            self._arm_timer()


def timer_needs_rearming(armed_due: datetime | None, due: datetime) -> bool:
    """A running timer for armed_due serves due unless due is earlier (a timer that fires before a
    key is due only wakes the workers to look again)."""
    return armed_due is None or due < armed_due
