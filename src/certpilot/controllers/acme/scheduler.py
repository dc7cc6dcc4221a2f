"""The challenge scheduler: marks the Challenges that may start now as processing (at most
max_concurrent_challenges at once, never two with the same DNS name and type, oldest first).

It reads the store, not the cache, so a Challenge it has just started always counts; passes run one
at a time, and a burst of changes during a pass collapses into one more pass.
"""

from __future__ import annotations

import asyncio

from certpilot.acme.scheduler import challenges_to_schedule
from certpilot.api.acme import Challenge, ChallengeStatus
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result
from certpilot.store.errors import Conflict, NotFound


def schedulable(challenge: Challenge) -> bool:
    """Challenges being deleted are never started (those already processing still hold a slot)."""
    processing = bool(challenge.status and challenge.status.processing)
    return processing or challenge.metadata.deletion_timestamp is None


class ChallengeScheduler:
    def __init__(self, ctx: ControllerContext, options: ControllerOptions) -> None:
        self.ctx = ctx
        self.max_concurrent = options.max_concurrent_challenges
        self.spec = ControllerSpec(name="challenges-scheduler", primary=Challenge)
        self._lock = asyncio.Lock()
        self._again = False

    async def reconcile(self, key: ObjectKey) -> Result:
        self._again = True
        if self._lock.locked():
            return Result()
        async with self._lock:
            while self._again:
                self._again = False
                await self._schedule()
        return Result()

    async def _schedule(self) -> None:
        challenges, _ = await self.ctx.store.list(Challenge)
        for challenge in challenges_to_schedule(
            [c for c in challenges if schedulable(c)], self.max_concurrent
        ):
            started = challenge.model_copy(deep=True)
            started.status = (started.status or ChallengeStatus()).model_copy(update={"processing": True})
            try:
                await self.ctx.store.update_status(started)
            except (Conflict, NotFound):
                self._again = True
