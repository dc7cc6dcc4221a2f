"""LocalCAIssuer's check and sign, on a real certpilot SQLite store (no daemon needed)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from certpilot_localca import GROUP, LocalCAIssuer, LocalCAIssuerSpec, plugin
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID

from certpilot.issuers.api import (
    TLS_CERT_KEY,
    TLS_PRIVATE_KEY_KEY,
    CertificateRequest,
    CertificateRequestSpec,
    IssuerContext,
    IssuerNotReady,
    IssuerReference,
    ObjectMeta,
    Secret,
    SystemClock,
    plugin_problem,
)
from certpilot.testing.stores import embedded_store


def ca_secret() -> Secret:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "LocalCA test root")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    secret = Secret(metadata=ObjectMeta(name="localca", namespace="default"), type="kubernetes.io/tls")
    secret.set_data(TLS_CERT_KEY, cert.public_bytes(Encoding.PEM))
    secret.set_data(TLS_PRIVATE_KEY_KEY, key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return secret


def request_for(dns_name: str) -> CertificateRequest:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertificateRequest(
        metadata=ObjectMeta(name="web", namespace="default"),
        spec=CertificateRequestSpec(
            issuer_ref=IssuerReference(name="localca", kind="LocalCAIssuer", group=GROUP),
            request=base64.b64encode(csr.public_bytes(Encoding.PEM)).decode(),
            duration="1h",
        ),
    )


def test_the_plugin_is_valid() -> None:
    assert plugin_problem(plugin) is None


async def test_check_and_sign(tmp_path: Path) -> None:
    issuer = LocalCAIssuer(
        metadata=ObjectMeta(name="localca", namespace="default"),
        spec=LocalCAIssuerSpec(secret_name="localca"),  # noqa: S106 - a Secret name
    )
    async with embedded_store(tmp_path / "store.db") as store:
        ctx = IssuerContext(issuer=issuer, resource_namespace="default", store=store, clock=SystemClock())
        with pytest.raises(IssuerNotReady, match='secret "default/localca" not found'):
            await plugin.backend.check(ctx)
        await store.create(ca_secret())
        ready = await plugin.backend.check(ctx)
        signed = await plugin.backend.sign(ctx, request_for("web.example.test"))
    assert ready.reason == "CAVerified"
    leaf = x509.load_pem_x509_certificate(signed.certificate)
    leaf.verify_directly_issued_by(x509.load_pem_x509_certificate(signed.ca))
    assert leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    ) == ["web.example.test"]
