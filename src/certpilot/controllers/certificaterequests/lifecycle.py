"""The CertificateRequest lifecycle as pure decisions, the same for every issuer type.

Before signing, `why_not_sign` is a chain of named checks (the first that applies wins); after
signing, `transition_after_signing` / `transition_after_error` say what to record.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from certpilot.api.certificaterequest import CertificateRequest, CertificateRequestStatus
from certpilot.api.conditions import (
    INVALID_REQUEST,
    READY,
    REASON_DENIED,
    REASON_FAILED,
    REASON_ISSUED,
    REASON_PENDING,
    get_condition,
    is_true,
    set_condition,
)
from certpilot.api.issuer import AnyIssuer
from certpilot.controllers.certificaterequests.chain_check import chain_problem
from certpilot.controllers.certificaterequests.conditions import conditions_of, is_approved, is_denied
from certpilot.controllers.issuers.failed_signing import ISSUER_FAILED_TO_SIGN
from certpilot.controllers.issuers.resolve import issuer_kind_of
from certpilot.issuers.base import IssuerNotReady, Pending, Permanent, SignedCertificate
from certpilot.issuers.request import InvalidRequest, requested_csr, requested_verified_csr
from certpilot.runtime.context import EventType

MESSAGE_ISSUED = "Certificate fetched from issuer successfully"
MESSAGE_DENIED = "The CertificateRequest was denied by an approval controller"
MESSAGE_AWAITING_APPROVAL = (
    "Waiting for the CertificateRequest to be approved (auto-approved for cert-manager.io issuers, "
    "or run `certpilot approve`)"
)
MESSAGE_ISSUER_NOT_READY = "Referenced issuer does not have a Ready status condition"


@dataclass(frozen=True)
class Transition:
    """What to record on a request: its Ready condition, the event, and what goes with them.

    failed: set status.failureTime (Failed and Denied are final). invalid_request: also set
    InvalidRequest=True. requeue_after: look at the request again after so many seconds."""

    reason: str
    message: str
    event_reason: str
    event_type: EventType = "Normal"
    ready: bool = False
    failed: bool = False
    invalid_request: bool = False
    certificate: bytes | None = None
    ca: bytes | None = None
    requeue_after: float | None = None


def pending(message: str, event_reason: str, requeue_after: float | None = None) -> Transition:
    return Transition(REASON_PENDING, message, event_reason, requeue_after=requeue_after)


def failed(message: str, invalid_request: bool = False) -> Transition:
    return Transition(
        REASON_FAILED, message, REASON_FAILED, "Warning", failed=True, invalid_request=invalid_request
    )


def denied(cr: CertificateRequest) -> Transition | None:
    if not is_denied(cr):
        return None
    return Transition(REASON_DENIED, MESSAGE_DENIED, REASON_DENIED, "Warning", failed=True)


def awaiting_approval(cr: CertificateRequest) -> Transition | None:
    return None if is_approved(cr) else pending(MESSAGE_AWAITING_APPROVAL, "WaitingForApproval")


def invalid_csr(cr: CertificateRequest) -> Transition | None:
    try:
        requested_csr(cr)
    except InvalidRequest as e:
        return failed(str(e), invalid_request=True)
    return None


def issuer_missing(cr: CertificateRequest, issuer: AnyIssuer | None) -> Transition | None:
    if issuer is not None:
        return None
    ref = cr.spec.issuer_ref
    return pending(
        f'Referenced "{issuer_kind_of(ref)}" not found: "{ref.name}" does not exist', "IssuerNotFound"
    )


def issuer_not_ready(issuer: AnyIssuer | None) -> Transition | None:
    if issuer is None or is_true(issuer.status.conditions if issuer.status else None, READY):
        return None
    return pending(MESSAGE_ISSUER_NOT_READY, "IssuerNotReady")


def why_not_sign(cr: CertificateRequest, issuer: AnyIssuer | None) -> Transition | None:
    """What to record instead of signing, or None when the request should be signed now."""
    return (
        denied(cr)
        or awaiting_approval(cr)
        or invalid_csr(cr)
        or issuer_missing(cr, issuer)
        or issuer_not_ready(issuer)
    )


def transition_after_signing(cr: CertificateRequest, signed: SignedCertificate) -> Transition:
    problem = chain_problem(signed.certificate, requested_verified_csr(cr).public_key)
    if problem is not None:
        return failed(problem)
    return Transition(
        REASON_ISSUED, MESSAGE_ISSUED, REASON_ISSUED, ready=True, certificate=signed.certificate, ca=signed.ca
    )


def transition_after_error(error: Pending | Permanent | IssuerNotReady) -> Transition:
    """IssuerNotReady is recorded as Pending, its message marked so the issuer is re-checked
    (controllers.issuers.failed_signing); the caller re-raises it so the runtime backs off."""
    if isinstance(error, Pending):
        return pending(str(error), REASON_PENDING, requeue_after=error.requeue_after)
    if isinstance(error, InvalidRequest):
        return failed(str(error), invalid_request=True)
    if isinstance(error, Permanent):
        return failed(str(error))
    return pending(f"{ISSUER_FAILED_TO_SIGN}{error}", "IssuerNotReady")


def status_after(
    status: CertificateRequestStatus | None, transition: Transition, now: datetime, generation: int | None
) -> CertificateRequestStatus:
    """The request's status with the transition applied: a new object, sharing with `status` only
    values never modified in place (set_condition builds a new conditions list)."""
    after = status.model_copy() if status else CertificateRequestStatus()
    conditions = set_condition(
        after.conditions,
        READY,
        "True" if transition.ready else "False",
        transition.reason,
        transition.message,
        now,
        generation,
    )
    if transition.invalid_request:
        conditions = set_condition(
            conditions, INVALID_REQUEST, "True", transition.reason, transition.message, now, generation
        )
    after.conditions = conditions
    if transition.failed and after.failure_time is None:
        after.failure_time = now
    if transition.certificate is not None:
        after.certificate = base64.b64encode(transition.certificate).decode()
        after.ca = base64.b64encode(transition.ca).decode() if transition.ca else None
    return after


def status_changed(before: CertificateRequestStatus | None, after: CertificateRequestStatus) -> bool:
    """Whether writing `after` changes the request's status (models compare field by field, with
    no serialisation of either)."""
    return before is None or after != before


def ready_changed(cr: CertificateRequest, transition: Transition) -> bool:
    """Whether recording the transition changes the Ready condition (events only on change)."""
    ready = get_condition(conditions_of(cr), READY)
    if ready is None:
        return True
    wanted = "True" if transition.ready else "False"
    return (ready.status, ready.reason, ready.message) != (wanted, transition.reason, transition.message)
