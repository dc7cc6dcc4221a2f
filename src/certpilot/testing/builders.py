"""Object builders for tests: Certificates, Issuers and Secrets with sensible defaults, and key
pairs signed at chosen times (for renewal tests without waiting)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from certpilot.api import annotations as ann
from certpilot.api.certificate import Certificate, CertificateSpec, X509Subject
from certpilot.api.common import IssuerReference
from certpilot.api.core import Secret
from certpilot.api.enums import KeyUsage, PrivateKeyAlgorithm
from certpilot.api.issuer import CAIssuer, Issuer, IssuerSpec, SelfSignedIssuer
from certpilot.api.meta import ObjectMeta
from certpilot.pki.csr import build_csr
from certpilot.pki.keys import KeySpec, PrivateKey, encode_private_key, generate_private_key
from certpilot.pki.sign import sign_certificate


def certificate(
    name: str,
    namespace: str = "default",
    *,
    issuer: str = "ca",
    issuer_kind: str | None = None,
    secret_name: str | None = None,
    **spec_fields: Any,
) -> Certificate:
    """A Certificate; spec_fields are CertificateSpec attributes (dns_names=[...], duration="1h"...).
    Without any identity field it gets dnsNames [`<name>.example.com`]."""
    identities = ("common_name", "dns_names", "ip_addresses", "uris", "email_addresses", "literal_subject")
    if not any(spec_fields.get(f) for f in identities):
        spec_fields["dns_names"] = [f"{name}.example.com"]
    spec = CertificateSpec(
        secret_name=secret_name or f"{name}-tls",
        issuer_ref=IssuerReference(name=issuer, kind=issuer_kind),
        **spec_fields,
    )
    return Certificate(metadata=ObjectMeta(name=name, namespace=namespace), spec=spec)


def full_subject() -> X509Subject:
    """A subject with every field set, one value each (for tests that cover every attribute)."""
    return X509Subject(
        organizations=["Example Ltd"],
        countries=["GB"],
        organizational_units=["Platform"],
        localities=["London"],
        provinces=["England"],
        street_addresses=["1 High Street"],
        postal_codes=["EC1A 1AA"],
        serial_number="42",
    )


def issuer_selfsigned(name: str = "selfsigned", namespace: str = "default") -> Issuer:
    return Issuer(
        metadata=ObjectMeta(name=name, namespace=namespace), spec=IssuerSpec(self_signed=SelfSignedIssuer())
    )


def issuer_ca(name: str = "ca", secret_name: str = "ca-tls", namespace: str = "default") -> Issuer:  # noqa: S107
    return Issuer(
        metadata=ObjectMeta(name=name, namespace=namespace),
        spec=IssuerSpec(ca=CAIssuer(secret_name=secret_name)),
    )


def secret_tls(
    name: str,
    namespace: str = "default",
    *,
    cert_pem: bytes | None = None,
    key_pem: bytes | None = None,
    ca_pem: bytes | None = None,
    annotations: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
) -> Secret:
    secret = Secret(
        metadata=ObjectMeta(name=name, namespace=namespace, annotations=annotations, labels=labels),
        type="kubernetes.io/tls",
    )
    for key, value in (("tls.crt", cert_pem), ("tls.key", key_pem), ("ca.crt", ca_pem)):
        if value is not None:
            secret.set_data(key, value)
    return secret


def issued_annotations(cert: Certificate) -> dict[str, str]:
    """The issuer and certificate-name annotations the issuing controller writes for cert."""
    ref = cert.spec.issuer_ref
    return {
        ann.CERTIFICATE_NAME: cert.name,
        ann.ISSUER_NAME: ref.name,
        ann.ISSUER_KIND: ref.kind or "Issuer",
        ann.ISSUER_GROUP: ref.group or "cert-manager.io",
    }


def ec_key() -> PrivateKey:
    """A fast P-256 key."""
    return generate_private_key(KeySpec(PrivateKeyAlgorithm.ECDSA, 256))


def self_signed_for(
    cert: Certificate,
    key: PrivateKey,
    *,
    not_before: datetime | None = None,
    lifetime: timedelta = timedelta(days=90),
) -> bytes:
    """A PEM certificate for cert's spec, self-signed with key, valid from not_before for lifetime."""
    now = not_before or datetime.now(UTC)
    signed = sign_certificate(
        build_csr(cert.spec, key),
        issuer_cert=None,
        issuer_key=key,
        duration=lifetime,
        is_ca=bool(cert.spec.is_ca),
        usages=cert.spec.usages or [KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_ENCIPHERMENT],
        now=now,
    )
    return signed.public_bytes(Encoding.PEM)


def issued_secret(
    cert: Certificate,
    key: PrivateKey,
    *,
    not_before: datetime | None = None,
    lifetime: timedelta = timedelta(days=90),
) -> Secret:
    """The Secret the issuing controller would have written for cert (self-signed leaf)."""
    return secret_tls(
        cert.spec.secret_name,
        cert.namespace or "default",
        cert_pem=self_signed_for(cert, key, not_before=not_before, lifetime=lifetime),
        key_pem=encode_private_key(key),
        annotations=issued_annotations(cert),
    )
