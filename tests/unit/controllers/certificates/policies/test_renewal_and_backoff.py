"""Renewal time and failure backoff rules, as pure functions with a fixed `now`."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from certpilot.controllers.certificates.policies.backoff import (
    issuance_backoff_delay,
    issuance_backoff_remaining,
)
from certpilot.controllers.certificates.policies.renewal import is_renewal_due, renew_before, renewal_time

T0 = datetime(2030, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_default_renewal_is_at_two_thirds_of_the_actual_lifetime() -> None:
    assert renewal_time(T0, T0 + timedelta(days=90)) == T0 + timedelta(days=60)


def test_renew_before_wins_when_it_fits_the_lifetime() -> None:
    assert renewal_time(T0, T0 + timedelta(days=90), timedelta(days=10)) == T0 + timedelta(days=80)


def test_renew_before_longer_than_the_lifetime_falls_back_to_the_default_rule() -> None:
    # A CA capping the leaf's notAfter can make renewBefore exceed the actual lifetime.
    assert renewal_time(T0, T0 + 30 * HOUR * 24, timedelta(days=31)) == T0 + timedelta(days=20)
    assert renewal_time(T0, T0 + 3 * HOUR, timedelta(days=30)) == T0 + 1.5 * HOUR


def test_renew_before_percentage_is_the_share_of_the_lifetime_left_at_renewal() -> None:
    # cert-manager: renewBefore = lifetime x pct / 100, so a 1h certificate with 25 renews at 45m.
    assert renewal_time(T0, T0 + HOUR, None, 25) == T0 + timedelta(minutes=45)
    assert renew_before(T0, T0 + 100 * HOUR, None, 25) == 25 * HOUR


def test_renewal_time_is_truncated_to_seconds() -> None:
    due = renewal_time(T0, T0 + timedelta(seconds=11))
    assert due.microsecond == 0
    assert due == T0 + timedelta(seconds=5)


@given(
    lifetime=st.integers(min_value=1, max_value=10**8),
    before=st.one_of(st.none(), st.integers(min_value=0, max_value=10**9)),
    percentage=st.one_of(st.none(), st.integers(min_value=1, max_value=99)),
)
def test_renewal_is_never_before_not_before_nor_after_not_after(
    lifetime: int, before: int | None, percentage: int | None
) -> None:
    not_after = T0 + timedelta(seconds=lifetime)
    due = renewal_time(T0, not_after, timedelta(seconds=before) if before is not None else None, percentage)
    assert T0 <= due <= not_after


def test_renew_before_itself() -> None:
    assert renew_before(T0, T0 + timedelta(days=30), None, None) == timedelta(days=10)


def test_renewal_due_at_exactly_the_renewal_time() -> None:
    assert is_renewal_due(T0, T0)
    assert not is_renewal_due(T0, T0 - timedelta(seconds=1))


def test_backoff_doubles_from_one_hour_and_caps_at_32_hours() -> None:
    delays = [issuance_backoff_delay(n, HOUR, 32 * HOUR) for n in range(1, 9)]
    assert delays == [HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 16 * HOUR, 32 * HOUR, 32 * HOUR, 32 * HOUR]


def test_backoff_survives_absurd_attempt_counts() -> None:
    assert issuance_backoff_delay(10**9, HOUR, 32 * HOUR) == 32 * HOUR


def test_no_backoff_without_a_failure() -> None:
    assert issuance_backoff_remaining(None, None, T0, HOUR, 32 * HOUR) is None


def test_backoff_remaining_after_the_third_failure() -> None:
    remaining = issuance_backoff_remaining(T0, 3, T0 + HOUR, HOUR, 32 * HOUR)
    assert remaining == 3 * HOUR


def test_backoff_over_once_the_delay_passed() -> None:
    assert issuance_backoff_remaining(T0, 1, T0 + HOUR, HOUR, 32 * HOUR) is None
