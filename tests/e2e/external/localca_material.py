"""A CA key pair Secret for the LocalCA plugin tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID

from certpilot.api.core import Secret
from certpilot.api.meta import ObjectMeta


def ca_secret(name: str = "localca-ca") -> tuple[Secret, bytes]:
    """(the kubernetes.io/tls Secret of a fresh CA, the CA certificate PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "LocalCA e2e root")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(Encoding.PEM)
    secret = Secret(metadata=ObjectMeta(name=name, namespace="default"), type="kubernetes.io/tls")
    secret.set_data("tls.crt", cert_pem)
    secret.set_data("tls.key", key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return secret, cert_pem
