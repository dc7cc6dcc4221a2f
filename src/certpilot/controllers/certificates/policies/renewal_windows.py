"""When a renewal may start under spec.renewal.windows: the due time itself when it falls inside
a window, else the first window opening after it (cert-manager's renewal windows)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from croniter import CroniterBadDateError, croniter

from certpilot.api.certificate import CertificateRenewalWindow
from certpilot.api.duration import parse_duration

# Cron matches whole minutes; a second either side turns croniter's strict next/previous into
# "at or after" / "at or before" for times truncated to the second.
_ONE_SECOND = timedelta(seconds=1)


class NoRenewalWindow(ValueError):
    """No window opens between notBefore and notAfter (each widened by the window's length)."""


def renewal_start_within_windows(
    due: datetime, not_before: datetime, not_after: datetime, windows: Sequence[CertificateRenewalWindow]
) -> datetime:
    """`due` when a window holds it, else the earliest window opening after it; raises
    NoRenewalWindow when no window opens in the certificate's lifetime."""
    openings: list[datetime] = []
    for window in windows:
        length = parse_duration(window.window_duration)
        zone: tzinfo = ZoneInfo(window.timezone) if window.timezone else UTC
        earliest, latest = not_before - length, not_after + length
        last_opening = _cron_time(window.cron, due + _ONE_SECOND, zone, forward=False)
        if last_opening is not None and earliest <= last_opening <= due < last_opening + length:
            return due
        next_opening = _cron_time(window.cron, due - _ONE_SECOND, zone, forward=True)
        if next_opening is not None and next_opening <= latest:
            openings.append(next_opening)
    if not openings:
        raise NoRenewalWindow(
            f"cannot find a renewal window between {not_before.isoformat()} and {not_after.isoformat()} "
            f"for the renewal due at {due.isoformat()}"
        )
    return min(openings)


def _cron_time(cron: str, start: datetime, zone: tzinfo, *, forward: bool) -> datetime | None:
    """The cron's next (or previous) time from `start`, in UTC; None for a cron that never
    matches (e.g. February 30th)."""
    schedule = croniter(cron, start.astimezone(zone))
    try:
        found: datetime = schedule.get_next(datetime) if forward else schedule.get_prev(datetime)
    except CroniterBadDateError:
        return None
    return found.astimezone(UTC)
