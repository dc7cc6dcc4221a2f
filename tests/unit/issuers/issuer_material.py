"""Real keys, CAs, CSRs and requests for the issuer backend tests (ECDSA P-256: fast to generate)."""

from __future__ import annotations

import base64
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from certpilot.api.annotations import PRIVATE_KEY_SECRET_NAME
from certpilot.api.certificate import CertificateSpec
from certpilot.api.certificaterequest import CertificateRequest, CertificateRequestSpec
from certpilot.api.common import IssuerReference
from certpilot.api.core import Secret
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.api.meta import ObjectMeta
from certpilot.pki.csr import build_csr, csr_to_pem
from certpilot.pki.keys import KeySpec, PrivateKey, encode_private_key, generate_private_key
from certpilot.pki.sign import sign_certificate

NOW = datetime(2030, 1, 1, tzinfo=UTC)
NAMESPACE = "default"


def new_key() -> PrivateKey:
    return generate_private_key(KeySpec(PrivateKeyAlgorithm.ECDSA, 256))


def spec(common_name: str, *, is_ca: bool = False, dns_names: list[str] | None = None) -> CertificateSpec:
    return CertificateSpec(
        secret_name="unused",
        issuer_ref=IssuerReference(name="unused"),
        common_name=common_name,
        dns_names=dns_names,
        is_ca=is_ca or None,
    )


def root_ca(key: PrivateKey, *, days: int = 3650, now: datetime = NOW) -> x509.Certificate:
    return sign_certificate(
        build_csr(spec("Test Root CA", is_ca=True), key),
        issuer_cert=None,
        issuer_key=key,
        duration=timedelta(days=days),
        is_ca=True,
        usages=None,
        now=now,
    )


def intermediate_ca(
    key: PrivateKey, root: x509.Certificate, root_key: PrivateKey, *, days: int = 1000
) -> x509.Certificate:
    return sign_certificate(
        build_csr(spec("Test Intermediate CA", is_ca=True), key),
        issuer_cert=root,
        issuer_key=root_key,
        duration=timedelta(days=days),
        is_ca=True,
        usages=None,
        now=NOW,
    )


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(Encoding.PEM) for c in certs)


def tls_secret(name: str, certs: bytes, key: PrivateKey | None, namespace: str = NAMESPACE) -> Secret:
    secret = Secret(metadata=ObjectMeta(name=name, namespace=namespace), type="kubernetes.io/tls")
    secret.set_data("tls.crt", certs)
    if key is not None:
        secret.set_data("tls.key", encode_private_key(key))
    return secret


def key_secret(name: str, key: PrivateKey, namespace: str = NAMESPACE) -> Secret:
    secret = Secret(metadata=ObjectMeta(name=name, namespace=namespace))
    secret.set_data("tls.key", encode_private_key(key))
    return secret


def request(
    name: str,
    key: PrivateKey,
    *,
    issuer: str = "ca",
    kind: str | None = None,
    group: str | None = None,
    common_name: str = "app.example.com",
    dns_names: list[str] | None = None,
    is_ca: bool = False,
    duration: str | None = None,
    key_secret_name: str | None = None,
    csr_pem: bytes | None = None,
) -> CertificateRequest:
    csr = csr_pem or csr_to_pem(build_csr(spec(common_name, is_ca=is_ca, dns_names=dns_names), key))
    annotations = {PRIVATE_KEY_SECRET_NAME: key_secret_name} if key_secret_name else None
    return CertificateRequest(
        metadata=ObjectMeta(name=name, namespace=NAMESPACE, annotations=annotations),
        spec=CertificateRequestSpec(
            issuer_ref=IssuerReference(name=issuer, kind=kind, group=group),
            request=base64.b64encode(csr).decode(),
            duration=duration,
            is_ca=is_ca or None,
        ),
    )


def openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)
