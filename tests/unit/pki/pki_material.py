"""PKI test helpers: spec builders, issuing through the real CSR + signing path, and openssl."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509

from certpilot.api.certificate import CertificatePrivateKey, CertificateSpec
from certpilot.api.common import IssuerReference
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.pki.csr import build_csr
from certpilot.pki.keys import PrivateKey
from certpilot.pki.parse import encode_certificates
from certpilot.pki.sign import sign_certificate

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def make_spec(**fields: Any) -> CertificateSpec:
    return CertificateSpec(secret_name="tls", issuer_ref=IssuerReference(name="ca"), **fields)


def key_of(algorithm: PrivateKeyAlgorithm, size: int | None = None) -> CertificatePrivateKey:
    return CertificatePrivateKey(algorithm=algorithm, size=size)


def openssl(*args: str, input: bytes | None = None) -> str:
    """Run openssl; fail the test with its stderr when it exits non-zero. Returns stdout then
    stderr (some reports, like `pkcs12 -info`, go to stderr)."""
    result = subprocess.run(["openssl", *args], input=input, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return (result.stdout + result.stderr).decode(errors="replace")


def write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


@dataclass(frozen=True)
class Issued:
    key: PrivateKey
    cert: x509.Certificate

    @property
    def pem(self) -> bytes:
        return encode_certificates([self.cert])


def issue(
    spec: CertificateSpec,
    key: PrivateKey,
    issuer: Issued | None = None,
    duration: timedelta = timedelta(days=90),
    **kwargs: Any,
) -> Issued:
    csr = build_csr(spec, key)
    cert = sign_certificate(
        csr,
        issuer_cert=issuer.cert if issuer else None,
        issuer_key=issuer.key if issuer else key,
        duration=duration,
        is_ca=bool(spec.is_ca),
        usages=spec.usages,
        now=kwargs.pop("now", NOW),
        **kwargs,
    )
    return Issued(key, cert)
