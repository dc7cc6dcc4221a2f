"""The challenge scheduler: marks the Challenges that may start now as processing (at most
max_concurrent_challenges at once, never two with the same DNS name and type, oldest first).

A pass reads the informer cache through an index of the Challenges not yet in a final state, so it
costs the live Challenges, never a store listing of every Challenge. A Challenge this scheduler has
just started counts as processing until the cache shows that write (or a later one), so a pass never
hands out a slot twice. Passes run one at a time; a burst of changes during a pass collapses into one
more pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping

from certpilot.acme.scheduler import challenges_to_schedule, is_final, view_of
from certpilot.api.acme import Challenge, ChallengeStatus
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result
from certpilot.runtime.field_index import FieldIndex
from certpilot.store.errors import Conflict, NotFound

LIVE = "live"
# The Challenges a pass looks at: those neither valid, invalid, expired nor errored.
LIVE_CHALLENGES: FieldIndex[Challenge] = FieldIndex(
    "acme-challenge-live", lambda c: () if is_final(view_of(c)) else (LIVE,)
)
# A start that lost a race (the cache was behind the store) is tried again once the cache caught up.
CONFLICT_RETRY_SECONDS = 0.2


def starts_not_yet_cached(live: Iterable[Challenge], started: Mapping[str, str]) -> dict[str, str]:
    """The starts (key -> resourceVersion the start was written over) the cache does not show yet.
    Once a Challenge's cached resourceVersion moved on, or it left the live set, the cache is current."""
    return {
        c.key: version
        for c in live
        if (version := started.get(c.key)) is not None and version == c.metadata.resource_version
    }


class ChallengeScheduler:
    def __init__(self, ctx: ControllerContext, options: ControllerOptions) -> None:
        self.ctx = ctx
        self.max_concurrent = options.max_concurrent_challenges
        self.spec = ControllerSpec(name="challenges-scheduler", primary=Challenge)
        self._lock = asyncio.Lock()
        self._again = False
        self._started: dict[str, str] = {}

    async def reconcile(self, key: ObjectKey) -> Result:
        self._again = True
        if self._lock.locked():
            return Result()
        lost_race = False
        async with self._lock:
            while self._again:
                self._again = False
                lost_race = await self._schedule() or lost_race
        return Result(requeue_after=CONFLICT_RETRY_SECONDS if lost_race else None)

    async def _schedule(self) -> bool:
        """One pass; True when a start lost a race with another write (to be tried again)."""
        live = self.ctx.cache.indexed(Challenge, LIVE_CHALLENGES, LIVE)
        self._started = starts_not_yet_cached(live, self._started)
        lost_race = False
        for challenge in challenges_to_schedule(live, self.max_concurrent, self._started):
            started = challenge.model_copy(deep=True)
            started.status = (started.status or ChallengeStatus()).model_copy(update={"processing": True})
            try:
                await self.ctx.store.update_status(started)
            except (Conflict, NotFound):
                lost_race = True
                continue
            self._started[challenge.key] = challenge.metadata.resource_version or ""
        return lost_race
