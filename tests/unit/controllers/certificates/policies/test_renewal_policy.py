"""spec.renewal: policy Disabled and renewal windows, as pure decisions over a fixed `now`."""

from datetime import UTC, datetime, timedelta

import pytest

from certpilot.api.certificate import CertificatePrivateKey, CertificateRenewal, CertificateRenewalWindow
from certpilot.api.enums import CertificateRenewalPolicy, PrivateKeyAlgorithm
from certpilot.api.field_error import FieldError
from certpilot.api.validate_certificate import certificate_spec_errors
from certpilot.controllers.certificates.policies import reasons
from certpilot.controllers.certificates.policies.policy_input import PolicyInput
from certpilot.controllers.certificates.policies.ready_status import validity_times
from certpilot.controllers.certificates.policies.renewal_windows import (
    NoRenewalWindow,
    renewal_start_within_windows,
)
from certpilot.controllers.certificates.policies.trigger_decision import trigger_decision
from certpilot.controllers.options import ControllerOptions
from certpilot.testing.builders import certificate, ec_key, issued_secret

# A Thursday; the default renewal of a 90-day certificate issued now is due 60 days later,
# 2030-03-04 00:00 UTC, a Monday.
NOT_BEFORE = datetime(2030, 1, 3, tzinfo=UTC)
LIFETIME = timedelta(days=90)
DUE = NOT_BEFORE + timedelta(days=60)
KEY = ec_key()
OPTIONS = ControllerOptions()
EC = CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256)
DISABLED = CertificateRenewal(policy=CertificateRenewalPolicy.DISABLED)
RB = CertificateRenewalPolicy.RENEW_BEFORE


def window(cron: str, duration: str = "2h", timezone: str | None = None) -> CertificateRenewalWindow:
    return CertificateRenewalWindow(cron=cron, window_duration=duration, timezone=timezone)


def policy_input(
    renewal: CertificateRenewal | None, now: datetime, lifetime: timedelta = LIFETIME
) -> PolicyInput:
    cert = certificate("web", private_key=EC, renewal=renewal)
    return PolicyInput(cert, issued_secret(cert, KEY, not_before=NOT_BEFORE, lifetime=lifetime), None, now)


def test_disabled_never_renews_on_schedule_and_sets_no_renewal_time() -> None:
    # cert-manager v1.21.1 panicked here: its renewal-time function returns nothing for Disabled
    # and the trigger read the time from it. Here the time is None and nothing is requeued.
    i = policy_input(DISABLED, DUE + timedelta(days=29))
    assert i.renewal_time is None
    decision = trigger_decision(i, None, OPTIONS)
    assert decision.issue is None and decision.requeue_after is None
    assert validity_times(i)[2] is None


def test_disabled_does_not_reissue_an_expired_certificate() -> None:
    decision = trigger_decision(
        policy_input(DISABLED, NOT_BEFORE + LIFETIME + timedelta(hours=1)), None, OPTIONS
    )
    assert decision.issue is None


def test_disabled_still_issues_when_the_secret_is_missing() -> None:
    i = PolicyInput(certificate("web", private_key=EC, renewal=DISABLED), None, None, NOT_BEFORE)
    decision = trigger_decision(i, None, OPTIONS)
    assert decision.issue is not None and decision.issue.reason == reasons.DOES_NOT_EXIST


def test_renew_before_policy_renews_as_without_spec_renewal() -> None:
    i = policy_input(CertificateRenewal(policy=CertificateRenewalPolicy.RENEW_BEFORE), DUE)
    decision = trigger_decision(i, None, OPTIONS)
    assert decision.issue is not None and decision.issue.reason == reasons.RENEWING


def test_renewal_waits_for_the_next_window() -> None:
    # Saturdays 01:00 for 4h: the Monday due time moves to Saturday 2030-03-09 01:00.
    renewal = CertificateRenewal(policy=RB, windows=[window("0 1 * * 6", "4h")])
    saturday = datetime(2030, 3, 9, 1, tzinfo=UTC)
    before = policy_input(renewal, DUE + timedelta(days=1))
    assert before.renewal_time == saturday
    decision = trigger_decision(before, None, OPTIONS)
    assert decision.issue is None and decision.requeue_after == saturday - before.now
    after = trigger_decision(policy_input(renewal, saturday), None, OPTIONS)
    assert after.issue is not None and after.issue.reason == reasons.RENEWING


def test_a_due_time_inside_a_window_is_kept() -> None:
    # Mondays from 23:00 the day before (Sunday 23:00) for 2h hold Monday 00:00.
    assert renewal_start_within_windows(DUE, NOT_BEFORE, NOT_BEFORE + LIFETIME, [window("0 23 * * 0")]) == DUE


def test_the_earliest_of_several_windows_wins() -> None:
    windows = [window("0 1 * * 6"), window("30 12 * * 2")]
    got = renewal_start_within_windows(DUE, NOT_BEFORE, NOT_BEFORE + LIFETIME, windows)
    assert got == datetime(2030, 3, 5, 12, 30, tzinfo=UTC)


def test_a_window_in_a_timezone_opens_at_local_time() -> None:
    # 02:00 in Denver (UTC-7 in March before DST starts on the 10th) is 09:00 UTC.
    got = renewal_start_within_windows(
        DUE, NOT_BEFORE, NOT_BEFORE + LIFETIME, [window("0 2 * * *", timezone="America/Denver")]
    )
    assert got == datetime(2030, 3, 4, 9, tzinfo=UTC)


def test_no_window_in_the_lifetime_is_a_window_error_at_the_renew_before_time() -> None:
    # Only February 30th: never. cert-manager then renews at the renewBefore time with WindowError.
    renewal = CertificateRenewal(policy=RB, windows=[window("0 0 30 2 *")])
    with pytest.raises(NoRenewalWindow):
        renewal_start_within_windows(DUE, NOT_BEFORE, NOT_BEFORE + LIFETIME, renewal.windows or [])
    decision = trigger_decision(policy_input(renewal, DUE), None, OPTIONS)
    assert decision.issue is not None and decision.issue.reason == reasons.WINDOW_ERROR


def errors(renewal: CertificateRenewal) -> list[FieldError]:
    return list(certificate_spec_errors(certificate("web", private_key=EC, renewal=renewal).spec))


def test_valid_renewal_spec_has_no_errors() -> None:
    renewal = CertificateRenewal(
        policy=CertificateRenewalPolicy.RENEW_BEFORE, windows=[window("0 2 * * 1-5", "1h30m", "Europe/Oslo")]
    )
    assert errors(renewal) == []


@pytest.mark.parametrize(
    ("renewal", "path"),
    [
        (CertificateRenewal(windows=[window("0 2 * * *")]), "spec.renewal.policy"),
        (CertificateRenewal(policy=RB, windows=[window("61 * * * *")]), "spec.renewal.windows[0].cron"),
        (CertificateRenewal(policy=RB, windows=[window("0 0 * * * *")]), "spec.renewal.windows[0].cron"),
        (
            CertificateRenewal(policy=RB, windows=[window("0 2 * * *", "2d")]),
            "spec.renewal.windows[0].windowDuration",
        ),
        (
            CertificateRenewal(policy=RB, windows=[window("0 2 * * *", "0s")]),
            "spec.renewal.windows[0].windowDuration",
        ),
        (
            CertificateRenewal(policy=RB, windows=[window("0 2 * * *", timezone="Mars/Olympus")]),
            "spec.renewal.windows[0].timezone",
        ),
        (
            CertificateRenewal(policy=CertificateRenewalPolicy.DISABLED, windows=[window("0 2 * * *")]),
            "spec.renewal.windows",
        ),
    ],
)
def test_invalid_renewal_spec_names_the_field(renewal: CertificateRenewal, path: str) -> None:
    assert [e.path for e in errors(renewal)] == [path]
