"""The trigger's decision, a pure function: whether a Certificate needs issuing now, or when to look
again. Shared: readiness asks it too, to leave a new Certificate's first Ready to the trigger's write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.controllers.certificates.policies.backoff import issuance_backoff_remaining
from certpilot.controllers.certificates.policies.policy_chains import needs_issuance
from certpilot.controllers.certificates.policies.policy_input import PolicyInput
from certpilot.controllers.certificates.policies.reasons import Reason
from certpilot.controllers.options import ControllerOptions


@dataclass(frozen=True)
class TriggerDecision:
    """issue: set Issuing=True for this reason. requeue_after: look again after this long."""

    issue: Reason | None = None
    requeue_after: timedelta | None = None


def backoff_after_failure(
    i: PolicyInput, failed_request: CertificateRequest | None, options: ControllerOptions
) -> timedelta | None:
    """Time left to wait after a failed issuance; none when the spec changed since the failed
    request, since the new spec deserves an immediate attempt."""
    cert, now = i.certificate, i.now
    if failed_request is not None and i.memos.request_mismatches(failed_request, cert):
        return None
    status = cert.status
    return issuance_backoff_remaining(
        status.last_failure_time if status else None,
        status.failed_issuance_attempts if status else None,
        now,
        options.issuance_backoff_initial,
        options.issuance_backoff_max,
    )


def trigger_decision(
    i: PolicyInput, failed_request: CertificateRequest | None, options: ControllerOptions
) -> TriggerDecision:
    backoff = backoff_after_failure(i, failed_request, options)
    if backoff is not None:
        return TriggerDecision(requeue_after=backoff)
    reason = needs_issuance(i)
    if reason is not None:
        return TriggerDecision(issue=reason)
    if i.renewal_time is None:
        return TriggerDecision()
    return TriggerDecision(requeue_after=max(i.renewal_time - i.now, timedelta(seconds=1)))
