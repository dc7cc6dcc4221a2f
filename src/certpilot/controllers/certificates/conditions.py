"""The Certificate condition types and their writers' shared helpers."""

from __future__ import annotations

from datetime import datetime

from certpilot.api.certificate import Certificate, CertificateStatus
from certpilot.api.conditions import ISSUING, get_condition, is_true
from certpilot.api.meta import Condition


def is_issuing(cert: Certificate) -> bool:
    return is_true(cert.status.conditions if cert.status else None, ISSUING)


def issuing_condition(cert: Certificate) -> Condition | None:
    return get_condition(cert.status.conditions if cert.status else None, ISSUING)


def issuing_since(cert: Certificate) -> datetime | None:
    """When Issuing last became True, None when it is not True."""
    condition = issuing_condition(cert)
    if condition is None or condition.status != "True":
        return None
    return condition.last_transition_time


def status_of(cert: Certificate) -> CertificateStatus:
    """A copy of the status to change and write back (an empty one when unset). Shallow, with its
    own conditions list: every other field is immutable, and conditions are replaced, never
    changed in place (set_condition builds new ones), so the cache's status stays untouched."""
    if cert.status is None:
        return CertificateStatus()
    conditions = cert.status.conditions
    return cert.status.model_copy(update={"conditions": list(conditions) if conditions is not None else None})


def with_status(cert: Certificate, status: CertificateStatus) -> Certificate:
    """A copy of cert carrying status, for update_status (the cache's object stays untouched)."""
    return cert.model_copy(update={"status": status})
