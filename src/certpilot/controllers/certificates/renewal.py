"""When a certificate should be renewed."""

from __future__ import annotations

from datetime import datetime, timedelta


def renew_before(
    not_before: datetime,
    not_after: datetime,
    renew_before_override: timedelta | None,
    renew_before_percentage: int | None,
) -> timedelta:
    """How long before notAfter renewal starts: spec.renewBefore when it fits inside the actual
    lifetime, else spec.renewBeforePercentage of the lifetime (the share that still remains when
    renewal starts, as cert-manager reads it), else a third of it (cert-manager's default of
    renewing at 2/3 of the lifetime)."""
    lifetime = not_after - not_before
    if renew_before_override is not None and renew_before_override < lifetime:
        return renew_before_override
    if renew_before_percentage is not None:
        return lifetime * renew_before_percentage / 100
    return lifetime / 3


def renewal_time(
    not_before: datetime,
    not_after: datetime,
    renew_before_override: timedelta | None = None,
    renew_before_percentage: int | None = None,
) -> datetime:
    """The moment renewal is due, truncated to whole seconds (status fields have second precision)
    and never before notBefore."""
    due = not_after - renew_before(not_before, not_after, renew_before_override, renew_before_percentage)
    return max(due, not_before).replace(microsecond=0)


def is_renewal_due(renewal_at: datetime, now: datetime) -> bool:
    return now >= renewal_at
