"""A solver's waitInsteadOfSelfCheck: accept a presented Challenge once this long has passed since
it was presented, without a self-check (for split-horizon DNS or NAT hairpinning, where the
self-check cannot succeed but the ACME server's validation can)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class WaitVerdict:
    """ready: accept now. Otherwise look again after retry_after; reason goes to status.reason."""

    ready: bool
    retry_after: timedelta = timedelta(0)
    reason: str = ""


def wait_before_accepting_is_over(
    presented_at: datetime, wait: timedelta, now: datetime, retry_period: timedelta, challenge_type: str
) -> WaitVerdict:
    """Whether `wait` has passed since presented_at; when not, look again when it will have, or
    after retry_period if that comes first (so the reason's countdown stays current)."""
    remaining = presented_at + wait - now
    if remaining <= timedelta(0):
        return WaitVerdict(ready=True)
    return WaitVerdict(
        ready=False,
        retry_after=min(remaining, retry_period),
        reason=f"Waiting {_seconds(remaining)} before accepting {challenge_type} challenge "
        "without self-check",
    )


def _seconds(span: timedelta) -> str:
    return f"{span.total_seconds():g}s"
