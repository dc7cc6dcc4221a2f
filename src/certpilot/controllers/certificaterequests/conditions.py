"""The CertificateRequest conditions and the facts read off them."""

from __future__ import annotations

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import (
    APPROVED,
    DENIED,
    INVALID_REQUEST,
    READY,
    REASON_DENIED,
    REASON_FAILED,
    get_condition,
    is_true,
)
from certpilot.api.meta import Condition


def conditions_of(cr: CertificateRequest) -> list[Condition] | None:
    return cr.status.conditions if cr.status else None


def is_approved(cr: CertificateRequest) -> bool:
    return is_true(conditions_of(cr), APPROVED)


def is_denied(cr: CertificateRequest) -> bool:
    return is_true(conditions_of(cr), DENIED)


def is_finished(cr: CertificateRequest) -> bool:
    """Issued, failed, denied or invalid: a signer never touches the request again."""
    ready = get_condition(conditions_of(cr), READY)
    if ready is not None and (ready.status == "True" or ready.reason in (REASON_FAILED, REASON_DENIED)):
        return True
    return is_true(conditions_of(cr), INVALID_REQUEST)
