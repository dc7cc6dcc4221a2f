"""One pass of the challenge scheduler over the informer cache: which Challenges it looks at (the live
index), and how its own starts count until the cache shows them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from certpilot.acme.scheduler import challenges_to_schedule
from certpilot.api.acme import Challenge, ChallengeSpec, ChallengeStatus
from certpilot.api.acme_issuer import ACMEChallengeSolver, ACMEChallengeSolverHTTP01
from certpilot.api.common import IssuerReference
from certpilot.api.enums import State
from certpilot.api.meta import ObjectMeta
from certpilot.controllers.acme.challenge_scheduler import LIVE, LIVE_CHALLENGES, starts_not_yet_cached

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def challenge(
    name: str,
    version: str = "1",
    state: State | None = None,
    processing: bool = False,
    deleting: bool = False,
) -> Challenge:
    return Challenge(
        metadata=ObjectMeta(
            name=name,
            namespace="default",
            resource_version=version,
            creation_timestamp=T0 + timedelta(seconds=int(name[1:])),
            deletion_timestamp=T0 if deleting else None,
        ),
        spec=ChallengeSpec(
            url=f"https://ca.test/chall/{name}",
            authorization_url=f"https://ca.test/authz/{name}",
            dns_name=f"{name}.example.com",
            type="HTTP-01",
            token="t",
            key="k",
            solver=ACMEChallengeSolver(http01=ACMEChallengeSolverHTTP01()),
            issuer_ref=IssuerReference(name="acme"),
        ),
        status=ChallengeStatus(state=state, processing=processing),
    )


def test_live_index_holds_only_challenges_not_in_a_final_state() -> None:
    assert list(LIVE_CHALLENGES.values(challenge("c1"))) == [LIVE]
    assert list(LIVE_CHALLENGES.values(challenge("c2", state=State.PENDING, processing=True))) == [LIVE]
    for final in (State.VALID, State.INVALID, State.EXPIRED, State.ERRORED):
        assert list(LIVE_CHALLENGES.values(challenge("c3", state=final))) == []


def test_a_start_counts_until_the_cache_moves_past_the_version_it_was_written_over() -> None:
    cached = [challenge("c1", version="7"), challenge("c2", version="9"), challenge("c3", version="4")]
    started = {"default/c1": "7", "default/c2": "8", "default/gone": "3"}
    assert starts_not_yet_cached(cached, started) == {"default/c1": "7"}


def test_own_starts_the_cache_does_not_show_yet_hold_their_slots() -> None:
    live = [challenge("c1"), challenge("c2"), challenge("c3")]
    assert [c.name for c in challenges_to_schedule(live, 2)] == ["c1", "c2"]
    assert [c.name for c in challenges_to_schedule(live, 2, {"default/c1"})] == ["c2"]
    assert challenges_to_schedule(live, 2, {"default/c1", "default/c2"}) == []


def test_challenges_being_deleted_never_start_but_keep_their_slot_while_processing() -> None:
    live = [
        challenge("c1", state=State.PENDING, processing=True, deleting=True),
        challenge("c2", deleting=True),
        challenge("c3"),
    ]
    assert [c.name for c in challenges_to_schedule(live, 2)] == ["c3"]
    assert challenges_to_schedule(live, 1) == []
