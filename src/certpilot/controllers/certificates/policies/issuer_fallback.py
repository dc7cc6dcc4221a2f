"""Issuer fallback: a Certificate annotated certpilot.io/fallback-issuers names issuers to use, in
order, after spec.issuerRef (cert-manager's schema is unchanged). Every N failed issuance attempts
(status.failedIssuanceAttempts; N from certpilot.io/fallback-after-failures, default 1) move to the
next issuer; an issuer that is not Ready is passed over for the next Ready one. A successful
issuance resets the count, so the next renewal starts again with spec.issuerRef."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from certpilot.api import annotations as keys
from certpilot.api.certificate import Certificate
from certpilot.api.common import IssuerReference
from certpilot.api.defaults import issuer_kind
from certpilot.controllers.certificates.policies.issuer_ref import (
    issuer_ref_matches_annotations,
    issuer_refs_equal,
)
from certpilot.runtime.errors import PermanentError

ISSUER_KINDS = ("Issuer", "ClusterIssuer")
DEFAULT_FAILURES_BEFORE_FALLBACK = 1


class InvalidFallbackIssuers(PermanentError):
    """The fallback annotations cannot be read; the message names the annotation and the fix."""


def fallback_issuers(cert: Certificate) -> list[IssuerReference]:
    """The issuers named by certpilot.io/fallback-issuers (`Kind/name` or `name`, comma separated)."""
    text = (cert.metadata.annotations or {}).get(keys.FALLBACK_ISSUERS, "")
    refs = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        kind, _, name = entry.rpartition("/")
        if (kind and kind not in ISSUER_KINDS) or not name:
            raise InvalidFallbackIssuers(
                f"annotation {keys.FALLBACK_ISSUERS}: {entry!r} is not Issuer/<name>, ClusterIssuer/<name> "
                "or <name>"
            )
        refs.append(IssuerReference(name=name, kind=kind or "Issuer"))
    return refs


def failures_before_fallback(cert: Certificate) -> int:
    text = (cert.metadata.annotations or {}).get(keys.FALLBACK_AFTER_FAILURES)
    if text is None:
        return DEFAULT_FAILURES_BEFORE_FALLBACK
    if not text.strip().isdigit() or int(text) < 1:
        raise InvalidFallbackIssuers(
            f"annotation {keys.FALLBACK_AFTER_FAILURES}: {text!r} is not a whole number of at least 1"
        )
    return int(text)


def issuer_choices(cert: Certificate) -> list[IssuerReference]:
    """spec.issuerRef first, then the fallbacks."""
    return [cert.spec.issuer_ref, *fallback_issuers(cert)]


def is_one_of_the_issuers(cert: Certificate, ref: IssuerReference) -> bool:
    try:
        return any(issuer_refs_equal(ref, choice) for choice in issuer_choices(cert))
    except InvalidFallbackIssuers:
        return issuer_refs_equal(ref, cert.spec.issuer_ref)


def secret_issued_by_one_of_the_issuers(cert: Certificate, found: dict[str, str]) -> bool:
    try:
        choices = issuer_choices(cert)
    except InvalidFallbackIssuers:
        choices = [cert.spec.issuer_ref]
    return any(issuer_ref_matches_annotations(choice, found) for choice in choices)


@dataclass(frozen=True)
class IssuerChoice:
    ref: IssuerReference
    why: str | None  # None for spec.issuerRef itself; else why a fallback issues


def issuer_to_use(
    cert: Certificate, attempts: int, issuer_is_ready: Callable[[IssuerReference], bool]
) -> IssuerChoice:
    """The issuer the next CertificateRequest goes to. `attempts`: failed issuance attempts so far."""
    choices = issuer_choices(cert)
    start = min(attempts // failures_before_fallback(cert), len(choices) - 1)
    index = next((i for i in range(start, len(choices)) if issuer_is_ready(choices[i])), start)
    if index == 0:
        return IssuerChoice(choices[0], None)
    skipped = [
        f"{issuer_kind(ref)}/{ref.name} " + ("failed" if i < start else "is not Ready")
        for i, ref in enumerate(choices[:index])
    ]
    return IssuerChoice(choices[index], f"{', '.join(skipped)} ({attempts} failed issuance attempts)")
