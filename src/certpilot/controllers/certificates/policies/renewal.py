"""When a certificate should be renewed."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

# certbot's rule: a certificate living less than this renews at half its lifetime.
SHORT_LIVED = timedelta(days=10)
# The jitter moves a renewal earlier by up to this share of its renewal window (due → notAfter).
JITTER_SHARE = 0.1
# Leaves left behind by a CA rotation renew spread over at most this long after the rotation.
ROTATION_SPREAD = timedelta(hours=1)


def renew_before(
    not_before: datetime,
    not_after: datetime,
    renew_before_override: timedelta | None,
    renew_before_percentage: int | None,
) -> timedelta:
    """How long before notAfter renewal starts: spec.renewBefore when it fits inside the actual
    lifetime, else spec.renewBeforePercentage of the lifetime (the share that still remains when
    renewal starts, as cert-manager reads it), else half of a short-lived certificate's lifetime
    (under 10 days, as certbot does), else a third of it (cert-manager's default of renewing at
    2/3 of the lifetime)."""
    lifetime = not_after - not_before
    if renew_before_override is not None and renew_before_override < lifetime:
        return renew_before_override
    if renew_before_percentage is not None:
        return lifetime * renew_before_percentage / 100
    if lifetime < SHORT_LIVED:
        return lifetime / 2
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


def stable_fraction(identity: str) -> float:
    """A number in [0, 1) fixed by `identity` alone: the same after every restart, on every replica."""
    digest = hashlib.sha256(identity.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def jittered_renewal_time(
    due: datetime, not_before: datetime, not_after: datetime, fraction: float
) -> datetime:
    """`due` moved earlier by `fraction` of JITTER_SHARE of the shorter of its renewal window
    (due → notAfter) and the time before it (notBefore → due): certificates due at one instant
    renew spread over a tenth of their window, never closer to expiry than the rule asked, and
    never so early that a certificate is due as soon as it is issued."""
    span = max(min(not_after - due, due - not_before), timedelta(0))
    return max(due - span * (JITTER_SHARE * fraction), not_before).replace(microsecond=0)


def time_within_window(start: datetime, end: datetime, fraction: float) -> datetime:
    """The instant `fraction` of the way through [start, end) (RFC 9773's random renewal time,
    drawn once per certificate by fixing `fraction` from its serial), whole seconds."""
    span = max(end - start, timedelta(0))
    return (start + span * fraction).replace(microsecond=0)


def rotation_renewal_time(
    ca_not_before: datetime, not_before: datetime, not_after: datetime, fraction: float
) -> datetime:
    """When a leaf its CA no longer signs with renews: `fraction` of the way through a spread of
    ROTATION_SPREAD (at most a tenth of the leaf's lifetime) from the new CA certificate's
    notBefore, the moment of the rotation as far as anything stored says."""
    spread = min(ROTATION_SPREAD, (not_after - not_before) * JITTER_SHARE)
    return (max(ca_not_before, not_before) + spread * fraction).replace(microsecond=0)


def is_renewal_due(renewal_at: datetime, now: datetime) -> bool:
    return now >= renewal_at
