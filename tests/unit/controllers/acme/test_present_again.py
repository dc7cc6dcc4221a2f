"""When a failing self-check presents the answer again: after PRESENT_AGAIN_AFTER_CHECKS retry
periods since it was (last) presented, so a record lost by the DNS server comes back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from certpilot.controllers.acme.challenges import PRESENT_AGAIN_AFTER_CHECKS, present_again

PRESENTED = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
PERIOD = timedelta(seconds=10)


def test_not_before_enough_failed_checks() -> None:
    almost = PRESENTED + PERIOD * PRESENT_AGAIN_AFTER_CHECKS - timedelta(seconds=1)
    assert not present_again(PRESENTED, almost, PERIOD)


def test_after_enough_failed_checks() -> None:
    assert present_again(PRESENTED, PRESENTED + PERIOD * PRESENT_AGAIN_AFTER_CHECKS, PERIOD)


def test_never_without_a_presentation_time() -> None:
    assert not present_again(None, PRESENTED, PERIOD)
