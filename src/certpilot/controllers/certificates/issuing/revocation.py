"""Revoking a Certificate's certificate and keeping the record: an Event `Revoked` (serial, reason,
issuer) and the serial and reason in annotations on the Certificate; never any key material.
Used by `certpilot revoke` and, for Certificates annotated certpilot.io/revoke-superseded, by the
issuing controller once a renewal has replaced the previous certificate."""

from __future__ import annotations

from cryptography import x509

from certpilot.api import annotations as keys
from certpilot.api.certificate import Certificate
from certpilot.api.common import IssuerReference
from certpilot.api.core import Secret
from certpilot.issuers.base import IssuerContext
from certpilot.issuers.revocation_request import Revocation, RevocationFailed
from certpilot.pki.parse import parse_certificates
from certpilot.runtime.context import EventRecorder
from certpilot.store.errors import Conflict, NotFound
from certpilot.store.protocol import Store

REASON_REVOKED = "Revoked"
REASON_REVOCATION_FAILED = "RevocationFailed"
UPDATE_ATTEMPTS = 10


def revokes_superseded(cert: Certificate) -> bool:
    return (cert.metadata.annotations or {}).get(keys.REVOKE_SUPERSEDED, "").lower() == "true"


def superseded_certificate(previous: Secret | None, issued: x509.Certificate) -> bytes | None:
    """The PEM leaf the Secret held before `issued` replaced it, when it is another certificate."""
    chain = previous.get_data("tls.crt") if previous is not None else None
    if not chain:
        return None
    try:
        leaf = parse_certificates(chain, "previous tls.crt")[0]
    except ValueError:
        return None
    if leaf.serial_number == issued.serial_number:
        return None
    start = chain.index(b"-----BEGIN CERTIFICATE-----")
    end = chain.index(b"-----END CERTIFICATE-----") + len(b"-----END CERTIFICATE-----\n")
    return chain[start:end]


def issuer_ref_of_secret(secret: Secret) -> IssuerReference | None:
    """The issuer that signed a Secret's certificate, from cert-manager's annotations on it (with
    issuer fallback it may be another issuer than the Certificate's issuerRef)."""
    found = secret.metadata.annotations or {}
    name = found.get(keys.ISSUER_NAME)
    if not name:
        return None
    return IssuerReference(
        name=name,
        kind=found.get(keys.ISSUER_KIND) or "Issuer",
        group=found.get(keys.ISSUER_GROUP),
    )


def with_revocation_record(cert: Certificate, serial_hex: str, reason: str) -> Certificate:
    recorded = cert.model_copy(deep=True)
    recorded.metadata.annotations = {
        **(cert.metadata.annotations or {}),
        keys.REVOKED_SERIAL: serial_hex,
        keys.REVOCATION_REASON: reason,
    }
    return recorded


def revoked_message(revocation: Revocation, issuer: object) -> str:
    kind = getattr(issuer, "KIND", "Issuer")
    name = getattr(issuer, "name", "?")
    return (
        f"Revoked the certificate with serial {revocation.serial_hex} "
        f"(reason {revocation.reason.name}) through {kind} {name!r}"
    )


async def record_revocation(store: Store, cert: Certificate, revocation: Revocation) -> None:
    for _ in range(UPDATE_ATTEMPTS):
        try:
            current = await store.get(Certificate, cert.name, cert.namespace)
            await store.update(with_revocation_record(current, revocation.serial_hex, revocation.reason.name))
            return
        except Conflict:
            continue
        except NotFound:
            return


async def revoke_and_record(
    ctx: IssuerContext, events: EventRecorder, cert: Certificate, revocation: Revocation, http_timeout: int
) -> None:
    """Revoke, then record it on the Certificate; a refusal becomes a Warning event and is raised."""
    # Imported here: the ACME and Vault client stacks load only when a revocation happens.
    from certpilot.issuers.revocation import revoke_certificate

    try:
        await revoke_certificate(ctx, revocation, http_timeout)
    except RevocationFailed as e:
        await events.event(cert, "Warning", REASON_REVOCATION_FAILED, str(e))
        raise
    await events.event(cert, "Normal", REASON_REVOKED, revoked_message(revocation, ctx.issuer))
    await record_revocation(ctx.store, cert, revocation)
