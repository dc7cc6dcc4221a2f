"""A settable clock: `sleep()` completes only when the fake time is advanced past its deadline,
so code that waits on time (renewals, backoff, leases) is tested without real sleeping."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import UTC, datetime, timedelta

DEFAULT_START = datetime(2030, 1, 1, tzinfo=UTC)


class FakeClock:
    def __init__(self, start: datetime = DEFAULT_START) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime (e.g. tzinfo=UTC)")
        self._now = start
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._slept = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + timedelta(seconds=seconds), next(self._order), future))
        self._slept.set()
        await future

    @property
    def sleepers(self) -> int:
        """How many sleep() calls are waiting for time to move."""
        return sum(1 for _, _, f in self._sleepers if not f.done())

    def next_deadline(self) -> datetime | None:
        """When the earliest waiting sleep() would complete."""
        live = [when for when, _, f in self._sleepers if not f.done()]
        return min(live) if live else None

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleep() whose deadline has passed."""
        self.set(self._now + timedelta(seconds=seconds))

    def set(self, when: datetime) -> None:
        if when < self._now:
            raise ValueError(f"FakeClock cannot go backwards: {when} is before {self._now}")
        self._now = when
        while self._sleepers and self._sleepers[0][0] <= when:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    async def wait_for_sleepers(self, count: int = 1) -> None:
        """Let other tasks run until at least `count` of them are sleeping on this clock."""
        while self.sleepers < count:
            self._slept.clear()
            await self._slept.wait()

    async def wait_for_sleep_or_end(self, task: asyncio.Future[None]) -> None:
        """Let other tasks run until one sleeps on this clock or `task` has finished: after moving
        time, the moment a task that loops on this clock has done its round."""
        sleeping = asyncio.ensure_future(self.wait_for_sleepers())
        try:
            await asyncio.wait({sleeping, task}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeping.cancel()
