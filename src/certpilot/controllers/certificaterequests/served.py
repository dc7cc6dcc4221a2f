"""Which CertificateRequests certpilot's signer takes care of."""

from __future__ import annotations

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.controllers.certificaterequests.conditions import is_finished
from certpilot.issuers.registry import IssuerBackends, serves_group


def is_served(cr: CertificateRequest, backends: IssuerBackends | None = None) -> bool:
    """Requests for other API groups belong to their own (external) controller, unless one of
    the loaded issuer plugins serves that group."""
    group = cr.spec.issuer_ref.group
    return serves_group(group) if backends is None else backends.serves(group)


def needs_signer(cr: CertificateRequest, backends: IssuerBackends | None = None) -> bool:
    return is_served(cr, backends) and not is_finished(cr) and cr.metadata.deletion_timestamp is None
