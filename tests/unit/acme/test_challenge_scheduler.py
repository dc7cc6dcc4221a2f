"""The challenge scheduler: limits, one-per-name-and-type lanes, oldest first, final states ignored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from certpilot.acme.scheduler import ChallengeView, challenges_to_schedule, keys_to_schedule
from certpilot.api.acme import Challenge, ChallengeSpec, ChallengeStatus
from certpilot.api.acme_issuer import ACMEChallengeSolver, ACMEChallengeSolverHTTP01
from certpilot.api.common import IssuerReference
from certpilot.api.meta import ObjectMeta

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def view(
    key: str,
    age: int = 0,
    name: str = "a.example.com",
    type_: str = "HTTP-01",
    processing: bool = False,
    state: str | None = None,
) -> ChallengeView:
    return ChallengeView(key, T0 + timedelta(seconds=age), name, type_, processing, state)


def test_oldest_first_up_to_the_limit() -> None:
    views = [view("c", 3, "c.test"), view("a", 1, "a.test"), view("b", 2, "b.test")]
    assert keys_to_schedule(views, 2) == ["a", "b"]


def test_same_creation_time_breaks_ties_by_name() -> None:
    assert keys_to_schedule([view("y", 0, "y.test"), view("x", 0, "x.test")], 5) == ["x", "y"]


def test_processing_challenges_count_against_the_limit() -> None:
    views = [view("run1", 0, "r1.test", processing=True), view("run2", 0, "r2.test", processing=True)]
    views += [view("new", 1, "n.test")]
    assert keys_to_schedule(views, 2) == []
    assert keys_to_schedule(views, 3) == ["new"]


def test_same_name_and_type_waits_for_the_running_one() -> None:
    views = [view("running", 0, processing=True), view("queued", 1)]
    assert keys_to_schedule(views, 10) == []


def test_same_name_and_type_only_oldest_of_the_queue_starts() -> None:
    assert keys_to_schedule([view("second", 2), view("first", 1)], 10) == ["first"]


def test_same_name_different_type_runs_together() -> None:
    views = [view("http", 0, type_="HTTP-01"), view("dns", 1, type_="DNS-01")]
    assert keys_to_schedule(views, 10) == ["http", "dns"]


def test_wildcard_and_apex_share_a_lane() -> None:
    views = [view("apex", 0, "example.com", "DNS-01"), view("wild", 1, "*.example.com", "DNS-01")]
    assert keys_to_schedule(views, 10) == ["apex"]


def test_final_challenges_neither_run_nor_block() -> None:
    views = [
        view("done", 0, processing=True, state="valid"),
        view("failed", 0, "f.test", state="invalid"),
        view("next", 1),
    ]
    assert keys_to_schedule(views, 1) == ["next"]


def test_a_blocked_challenge_does_not_take_a_slot() -> None:
    views = [view("running", 0, processing=True), view("blocked", 1), view("free", 2, "free.test")]
    assert keys_to_schedule(views, 2) == ["free"]


def challenge(name: str, dns_name: str, age: int, processing: bool | None = None) -> Challenge:
    return Challenge(
        metadata=ObjectMeta(name=name, namespace="ns", creation_timestamp=T0 + timedelta(seconds=age)),
        spec=ChallengeSpec(
            url="https://acme.test/chall/1",
            authorization_url="https://acme.test/authz/1",
            dns_name=dns_name,
            type="HTTP-01",
            token="tok",
            key="key-authorization",
            solver=ACMEChallengeSolver(http01=ACMEChallengeSolverHTTP01()),
            issuer_ref=IssuerReference(name="le"),
        ),
        status=ChallengeStatus(processing=processing) if processing is not None else None,
    )


def test_challenge_models_in_and_out() -> None:
    challenges = [challenge("b", "b.test", 2), challenge("a", "a.test", 1), challenge("r", "r.test", 0, True)]
    assert [c.name for c in challenges_to_schedule(challenges, 2)] == ["a"]


names = st.sampled_from(["a.test", "*.a.test", "b.test", "*.b.test", "c.test"])
views_strategy = st.lists(
    st.builds(
        ChallengeView,
        key=st.uuids().map(str),
        created=st.integers(0, 50).map(lambda s: T0 + timedelta(seconds=s)),
        dns_name=names,
        type=st.sampled_from(["HTTP-01", "DNS-01"]),
        processing=st.booleans(),
        state=st.sampled_from([None, "pending", "valid", "invalid", "errored", "expired"]),
    ),
    max_size=30,
    unique_by=lambda v: v.key,
)


@given(views_strategy, st.integers(0, 12))
def test_scheduling_invariants(views: list[ChallengeView], limit: int) -> None:
    chosen = keys_to_schedule(views, limit)
    by_key = {v.key: v for v in views}
    picked = [by_key[k] for k in chosen]
    running = [v for v in views if v.processing and v.state not in {"valid", "invalid", "errored", "expired"}]
    # Never over the limit, counting what already runs.
    assert len(picked) <= max(0, limit - len(running))
    # Only queued, live challenges are picked, each once.
    assert len(set(chosen)) == len(chosen)
    assert all(not v.processing and v.state in {None, "pending"} for v in picked)
    # No two in one lane, and none in a lane that is already running.
    lanes = [v.lane for v in picked]
    assert len(set(lanes)) == len(lanes)
    assert not set(lanes) & {v.lane for v in running}
    # Oldest first.
    assert picked == sorted(picked, key=lambda v: (v.created, v.key))
    # Work-conserving: a queued challenge left out is blocked by its lane, or the limit is full.
    queued = [v for v in views if not v.processing and v.state in {None, "pending"}]
    if len(picked) < limit - len(running):
        taken = set(lanes) | {v.lane for v in running}
        assert all(v.key in chosen or v.lane in taken for v in queued)
