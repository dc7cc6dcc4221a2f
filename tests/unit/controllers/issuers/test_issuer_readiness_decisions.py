"""Issuer readiness decisions: the check's outcome and the status written from it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from certpilot.api.conditions import get_condition, set_condition
from certpilot.api.issuer import ACMEIssuerStatus, IssuerStatus
from certpilot.controllers.issuers.issuer_readiness import (
    CheckOutcome,
    check_issuer,
    issuer_status_after,
    ready_condition_changed,
)
from certpilot.issuers.base import IssuerContext, IssuerNotReady, IssuerReady, Pending, SignedCertificate

NOW = datetime(2030, 1, 1, tzinfo=UTC)


class RaisingBackend:
    """A stand-in backend whose check raises a given error (the interface is what is tested)."""

    def __init__(self, error: Exception | None, ready: IssuerReady | None = None) -> None:
        self.error = error
        self.ready = ready

    async def check(self, ctx: IssuerContext) -> IssuerReady:
        if self.error is not None:
            raise self.error
        assert self.ready is not None
        return self.ready

    async def sign(self, ctx: IssuerContext, request: Any) -> SignedCertificate:
        raise AssertionError("not used")


async def test_issuer_not_ready_keeps_its_reason() -> None:
    outcome = await check_issuer(RaisingBackend(IssuerNotReady("no CA", "ErrGetKeyPair")), None)  # type: ignore[arg-type]
    assert outcome == CheckOutcome(False, "ErrGetKeyPair", "no CA")


async def test_pending_is_not_ready() -> None:
    outcome = await check_issuer(RaisingBackend(Pending("registering", 5)), None)  # type: ignore[arg-type]
    assert (outcome.ready, outcome.reason) == (False, "Pending")


async def test_ready_carries_extra_status() -> None:
    backend = RaisingBackend(
        None,
        IssuerReady("ACMEAccountRegistered", "ok", IssuerStatus(acme=ACMEIssuerStatus(uri="https://a/1"))),
    )
    outcome = await check_issuer(backend, None)  # type: ignore[arg-type]
    status = issuer_status_after(None, outcome, NOW, 3)
    assert status.acme is not None and status.acme.uri == "https://a/1"
    ready = get_condition(status.conditions, "Ready")
    assert ready is not None
    assert (ready.status, ready.reason, ready.message, ready.observed_generation) == (
        "True",
        "ACMEAccountRegistered",
        "ok",
        3,
    )


def test_transition_time_moves_only_when_status_flips() -> None:
    before = IssuerStatus(conditions=set_condition(None, "Ready", "False", "ErrGetKeyPair", "a", NOW))
    later = NOW + timedelta(minutes=5)
    still_broken = issuer_status_after(before, CheckOutcome(False, "ErrInvalidKeyPair", "b"), later, 1)
    condition = get_condition(still_broken.conditions, "Ready")
    assert condition is not None and condition.last_transition_time == NOW
    assert ready_condition_changed(before, still_broken)
    fixed = issuer_status_after(
        still_broken, CheckOutcome(True, "KeyPairVerified", "Signing CA verified"), later, 1
    )
    condition = get_condition(fixed.conditions, "Ready")
    assert condition is not None and condition.last_transition_time == later


def test_same_outcome_is_no_change() -> None:
    outcome = CheckOutcome(True, "IsReady", "")
    once = issuer_status_after(None, outcome, NOW, 1)
    twice = issuer_status_after(once, outcome, NOW + timedelta(hours=1), 1)
    assert once == twice
    assert not ready_condition_changed(once, twice)
