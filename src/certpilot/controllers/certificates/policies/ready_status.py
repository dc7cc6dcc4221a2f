"""The Ready condition and the validity times (notBefore, notAfter, renewalTime) a Certificate's
status should carry: computed once here, for readiness and for the writers that set them in their
own status write (trigger, issuing) so that readiness then has nothing to write."""

from __future__ import annotations

from datetime import datetime

from certpilot.api.certificate import CertificateStatus
from certpilot.api.conditions import READY, set_condition
from certpilot.controllers.certificates.policies.policy_chains import not_ready_reason
from certpilot.controllers.certificates.policies.policy_input import PolicyInput
from certpilot.controllers.certificates.policies.reasons import Reason

READY_MESSAGE = "Certificate is up to date and has not expired"
_READY = ("True", Reason(READY, READY_MESSAGE))


def ready_condition(i: PolicyInput) -> tuple[str, Reason]:
    """("True" | "False", reason) for the Ready condition."""
    reason = not_ready_reason(i)
    if reason is None:
        return _READY
    return "False", reason


def readiness_status(i: PolicyInput, ready: tuple[str, Reason] | None = None) -> CertificateStatus:
    """The Certificate's status with Ready (`ready`, else computed) and the validity times set
    from its Secret."""
    return with_readiness(i.certificate.status or CertificateStatus(), i, ready)


def with_readiness(
    status: CertificateStatus, i: PolicyInput, ready: tuple[str, Reason] | None = None
) -> CertificateStatus:
    """`status` with Ready and the validity times as readiness sets them for `i`: the one source
    of truth for readiness and for the writers (trigger, issuing) that set them in their own
    write, so that readiness then finds nothing to write. A shallow copy: the new conditions list
    is the only part that changes, and nothing shared with the cache is modified."""
    condition_status, reason = ready or ready_condition(i)
    not_before, not_after, renewal = validity_times(i)
    return status.model_copy(
        update={
            "conditions": set_condition(
                status.conditions,
                READY,
                condition_status,
                reason.reason,
                reason.message,
                i.now,
                i.certificate.metadata.generation,
            ),
            "not_before": not_before,
            "not_after": not_after,
            "renewal_time": renewal,
        }
    )


def validity_times(i: PolicyInput) -> tuple[datetime | None, datetime | None, datetime | None]:
    """notBefore, notAfter and renewalTime of the Secret's certificate (all None without one)."""
    cert = i.parsed_certificate.certificate if i.secret is not None else None
    if cert is None:
        return None, None, None
    return cert.not_valid_before_utc, cert.not_valid_after_utc, i.renewal_time


def already_has_readiness(status: CertificateStatus, i: PolicyInput, ready: tuple[str, Reason]) -> bool:
    """Whether with_readiness(status, i, ready) would return a status equal to `status`, found
    without building one: most reconciles (every one of a restart) change nothing."""
    found = [c for c in status.conditions or () if c.type == READY]
    if len(found) != 1:
        return False
    condition, (condition_status, reason) = found[0], ready
    return (
        condition.status == condition_status
        and condition.reason == reason.reason
        and condition.message == reason.message
        and condition.last_transition_time is not None
        and condition.observed_generation == i.certificate.metadata.generation
        and (status.not_before, status.not_after, status.renewal_time) == validity_times(i)
    )
