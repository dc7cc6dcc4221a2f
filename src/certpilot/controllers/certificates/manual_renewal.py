"""`certpilot renew`: ask for a new issuance now, as cmctl does (Issuing=True, ManuallyTriggered)."""

from __future__ import annotations

from datetime import datetime

from certpilot.api.certificate import Certificate
from certpilot.api.conditions import ISSUING, set_condition
from certpilot.controllers.certificates.conditions import is_issuing, status_of, with_status
from certpilot.controllers.certificates.policies.reasons import MANUALLY_TRIGGERED


class AlreadyIssuing(ValueError):
    """The Certificate is being issued already; a manual trigger would change nothing."""


def request_renewal(cert: Certificate, now: datetime) -> Certificate:
    """A copy of cert marked for issuance. Raises AlreadyIssuing while an issuance is in flight."""
    if is_issuing(cert):
        raise AlreadyIssuing(f"Certificate {cert.key} is already being issued")
    status = status_of(cert)
    status.conditions = set_condition(
        status.conditions,
        ISSUING,
        "True",
        MANUALLY_TRIGGERED,
        "Certificate re-issuance manually triggered",
        now,
        cert.metadata.generation,
    )
    return with_status(cert, status)
