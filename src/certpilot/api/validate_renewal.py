"""spec.renewal's checks: the policy, and each window's cron, duration and timezone, refused at
apply time as cert-manager's webhook refuses them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from certpilot.api.certificate import CertificateRenewal, CertificateRenewalWindow
from certpilot.api.duration import parse_duration
from certpilot.api.enums import CertificateRenewalPolicy
from certpilot.api.field_error import FieldError

# The CRD's pattern for windowDuration: hours, minutes and seconds only.
WINDOW_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(s|m|h))+$")
CRON_FIELDS = 5


def renewal_errors(renewal: CertificateRenewal) -> Iterator[FieldError]:
    if renewal.policy is None:
        # cert-manager's webhook refuses an empty policy too: there is no default.
        yield FieldError("spec.renewal.policy", "must be set: RenewBefore or Disabled")
    if renewal.policy is CertificateRenewalPolicy.DISABLED and renewal.windows:
        yield FieldError("spec.renewal.windows", "windows cannot be set when spec.renewal.policy is Disabled")
        return
    for index, window in enumerate(renewal.windows or ()):
        yield from window_errors(window, f"spec.renewal.windows[{index}]")


def window_errors(window: CertificateRenewalWindow, path: str) -> Iterator[FieldError]:
    # Imported on use: only Certificates with renewal windows need croniter.
    from croniter import croniter

    if len(window.cron.split()) != CRON_FIELDS or not croniter.is_valid(window.cron):
        yield FieldError(
            f"{path}.cron",
            f"invalid cron syntax {window.cron!r}: expected five fields, "
            "minute hour day-of-month month day-of-week, e.g. '0 2 * * 1-5'",
        )
    if (
        not WINDOW_DURATION.match(window.window_duration)
        or parse_duration(window.window_duration).total_seconds() <= 0
    ):
        yield FieldError(
            f"{path}.windowDuration",
            f"{window.window_duration!r} must be a positive duration in h, m and s, e.g. '2h' or '90m'",
        )
    if window.timezone is not None and not is_iana_timezone(window.timezone):
        yield FieldError(
            f"{path}.timezone",
            f"{window.timezone!r} is not an IANA timezone: write e.g. 'America/Denver', "
            "or leave it unset for UTC",
        )


def is_iana_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
