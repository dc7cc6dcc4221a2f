"""How long to wait before retrying a failed issuance."""

from __future__ import annotations

from datetime import datetime, timedelta


def issuance_backoff_delay(failed_attempts: int, initial: timedelta, maximum: timedelta) -> timedelta:
    """initial * 2^(attempts-1), capped at maximum (cert-manager: 1h, 2h, 4h ... 32h)."""
    # In float seconds, with the exponent bounded, so huge attempt counts never overflow timedelta.
    exponent = min(max(failed_attempts, 1) - 1, 1000)
    seconds = min(initial.total_seconds() * 2.0**exponent, maximum.total_seconds())
    return timedelta(seconds=seconds)


def issuance_backoff_remaining(
    last_failure_time: datetime | None,
    failed_attempts: int | None,
    now: datetime,
    initial: timedelta,
    maximum: timedelta,
) -> timedelta | None:
    """Time left before another issuance may start after a failure, or None when none is left."""
    if last_failure_time is None:
        return None
    retry_at = last_failure_time + issuance_backoff_delay(failed_attempts or 1, initial, maximum)
    if now >= retry_at:
        return None
    return retry_at - now
