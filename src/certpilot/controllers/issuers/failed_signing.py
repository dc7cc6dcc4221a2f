"""A Ready issuer whose backend has just failed to sign (IssuerNotReady: Vault down, credentials
revoked...) is re-checked at once, rather than at its next periodic check minutes later: its Ready
condition then says why requests wait, and when it is Ready again the Issuer watch of the signer
hands it the waiting requests at once instead of leaving them to their growing backoff.

The signer records such a failure on the request with the message prefix below; the readiness
controller watches requests for it."""

from __future__ import annotations

from typing import Any

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import READY, get_condition, is_true
from certpilot.api.issuer import ClusterIssuer, Issuer
from certpilot.controllers.issuers.resolve import lookup_issuer
from certpilot.runtime.context import CacheReader
from certpilot.runtime.controller import ObjectKey

ISSUER_FAILED_TO_SIGN = "The issuer could not sign: "


def _ready_message(cr: Any) -> str:
    condition = get_condition(cr.status.conditions if cr.status else None, READY)
    return (condition.message or "") if condition else ""


def signing_found_issuer_not_ready(cr: CertificateRequest) -> bool:
    return _ready_message(cr).startswith(ISSUER_FAILED_TO_SIGN)


def failure_message_changed(old: Any, new: Any) -> bool:
    """A request event worth a look: its Ready message changed (not every write to the request)."""
    return _ready_message(old) != _ready_message(new)


def ready_issuer_that_failed_to_sign(
    cache: CacheReader, kind: type[Issuer] | type[ClusterIssuer], cr: CertificateRequest
) -> list[ObjectKey]:
    """The request's issuer, of this kind, when signing found it not ready while it is still
    recorded Ready; a not-Ready issuer is re-checked on its own schedule already."""
    if not signing_found_issuer_not_ready(cr):
        return []
    issuer = lookup_issuer(cache, cr.spec.issuer_ref, cr.namespace)
    if not isinstance(issuer, kind):
        return []
    if not is_true(issuer.status.conditions if issuer.status else None, READY):
        return []
    return [ObjectKey.of(issuer)]
