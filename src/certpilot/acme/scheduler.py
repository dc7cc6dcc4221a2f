"""Which Challenges may start now: cert-manager's challenge scheduler, as one pure function.

At most `max_concurrent` Challenges are processing at once (those already processing count), never two
with the same DNS name and the same challenge type (an apex and its wildcard share `_acme-challenge.<name>`,
so they count as one name), oldest first. Challenges in a final state are ignored; Challenges being
deleted are never started (those already processing still hold their slot).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from certpilot.api.acme import Challenge
from certpilot.api.enums import State

FINAL_STATES = frozenset({State.VALID, State.INVALID, State.EXPIRED, State.ERRORED, "revoked"})
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ChallengeView:
    """What scheduling looks at in a Challenge."""

    key: str
    created: datetime
    dns_name: str
    type: str
    processing: bool
    state: str | None
    being_deleted: bool = False

    @property
    def lane(self) -> tuple[str, str]:
        """Challenges in the same lane never run at once: same base DNS name, same challenge type."""
        return self.dns_name.lower().removeprefix("*.").rstrip("."), self.type


def view_of(challenge: Challenge, started: bool = False) -> ChallengeView:
    """`started`: the scheduler has marked it processing, whatever this copy of it says."""
    status = challenge.status
    return ChallengeView(
        key=challenge.key,
        created=challenge.metadata.creation_timestamp or _NEVER,
        dns_name=challenge.spec.dns_name,
        type=str(challenge.spec.type),
        processing=started or bool(status and status.processing),
        state=str(status.state) if status and status.state else None,
        being_deleted=challenge.metadata.deletion_timestamp is not None,
    )


def is_final(view: ChallengeView) -> bool:
    return view.state in FINAL_STATES


def keys_to_schedule(views: Iterable[ChallengeView], max_concurrent: int) -> list[str]:
    """Keys of the Challenges to start now, oldest first (see the module doc for the rules)."""
    live = [v for v in views if not is_final(v)]
    running = [v for v in live if v.processing]
    busy_lanes = {v.lane for v in running}
    room = max_concurrent - len(running)
    chosen: list[str] = []
    for view in sorted((v for v in live if not v.processing), key=lambda v: (v.created, v.key)):
        if len(chosen) >= room:
            break
        if view.lane in busy_lanes or view.being_deleted:
            continue
        busy_lanes.add(view.lane)
        chosen.append(view.key)
    return chosen


def challenges_to_schedule(
    challenges: Sequence[Challenge], max_concurrent: int, started: Collection[str] = ()
) -> list[Challenge]:
    """The Challenges to start now (set status.processing=true on each), oldest first. `started`:
    keys already marked processing that these copies may not show yet (a cache behind its writes)."""
    by_key = {c.key: c for c in challenges}
    views = (view_of(c, c.key in started) for c in challenges)
    return [by_key[key] for key in keys_to_schedule(views, max_concurrent)]
