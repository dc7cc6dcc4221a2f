"""Reading a CertificateRequest's outcome from its conditions."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import (
    DENIED,
    INVALID_REQUEST,
    READY,
    REASON_DENIED,
    REASON_FAILED,
    get_condition,
)
from certpilot.api.meta import Condition


def _conditions(request: CertificateRequest) -> list[Condition]:
    return list(request.status.conditions or ()) if request.status else []


@dataclass(frozen=True)
class SignedChain:
    """What the issuer returned on a request: the PEM chain (leaf first) and the PEM CA, or b""."""

    certificate: bytes
    ca: bytes


def signed_chain(request: CertificateRequest) -> SignedChain | None:
    """The chain of a request that is Ready=True with a certificate; None until then."""
    ready = get_condition(_conditions(request), READY)
    status = request.status
    if ready is None or ready.status != "True" or status is None or not status.certificate:
        return None
    return SignedChain(
        base64.b64decode(status.certificate), base64.b64decode(status.ca) if status.ca else b""
    )


def failure(request: CertificateRequest) -> tuple[str, str, datetime | None] | None:
    """(reason, message, when) when the request has finished unsuccessfully: denied, invalid or failed."""
    conditions = _conditions(request)
    denied = get_condition(conditions, DENIED)
    if denied is not None and denied.status == "True":
        return REASON_DENIED, denied.message or "", denied.last_transition_time
    invalid = get_condition(conditions, INVALID_REQUEST)
    if invalid is not None and invalid.status == "True":
        return REASON_FAILED, invalid.message or "", invalid.last_transition_time
    ready = get_condition(conditions, READY)
    if ready is not None and ready.status == "False" and ready.reason in (REASON_FAILED, REASON_DENIED):
        when = request.status.failure_time if request.status and request.status.failure_time else None
        return ready.reason or REASON_FAILED, ready.message or "", when or ready.last_transition_time
    return None


def failed_before(request: CertificateRequest, moment: datetime | None) -> bool:
    """Whether the request's failure belongs to an earlier issuance attempt than the one that
    started at moment (such a request is replaced, not reported again)."""
    outcome = failure(request)
    if outcome is None or moment is None:
        return False
    when = outcome[2]
    return when is not None and when < moment
