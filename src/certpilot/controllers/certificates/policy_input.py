"""What the issuance and readiness policies look at, parsed once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from cryptography import x509

from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.core import Secret
from certpilot.api.duration import parse_duration
from certpilot.controllers.certificates.renewal import renewal_time
from certpilot.pki.errors import PKIError
from certpilot.pki.keys import PrivateKey, parse_private_key

TLS_CERT_KEY = "tls.crt"
TLS_PRIVATE_KEY_KEY = "tls.key"
CA_CERT_KEY = "ca.crt"


@dataclass(frozen=True)
class ParsedCertificate:
    """The leaf of tls.crt, or why it could not be read."""

    certificate: x509.Certificate | None
    error: str | None


@dataclass(frozen=True)
class ParsedKey:
    """tls.key parsed, or why not (the message never quotes the key)."""

    key: PrivateKey | None
    error: str | None


def parse_leaf(pem: bytes) -> ParsedCertificate:
    try:
        chain = x509.load_pem_x509_certificates(pem)
    except ValueError:
        return ParsedCertificate(None, "tls.crt is not a PEM certificate bundle")
    return ParsedCertificate(chain[0], None)


def parse_key(pem: bytes) -> ParsedKey:
    try:
        return ParsedKey(parse_private_key(pem), None)
    except PKIError as err:
        return ParsedKey(None, str(err))


@dataclass(frozen=True)
class PolicyInput:
    """certificate: the Certificate. secret: its spec.secretName Secret, if any. current_request:
    the CertificateRequest of status.revision, if still kept. now: the clock's time."""

    certificate: Certificate
    secret: Secret | None
    current_request: CertificateRequest | None
    now: datetime

    @cached_property
    def cert_pem(self) -> bytes | None:
        return self.secret.get_data(TLS_CERT_KEY) if self.secret else None

    @cached_property
    def key_pem(self) -> bytes | None:
        return self.secret.get_data(TLS_PRIVATE_KEY_KEY) if self.secret else None

    @cached_property
    def parsed_certificate(self) -> ParsedCertificate:
        return parse_leaf(self.cert_pem or b"")

    @cached_property
    def parsed_key(self) -> ParsedKey:
        return parse_key(self.key_pem or b"")

    @cached_property
    def renewal_time(self) -> datetime | None:
        """When the Secret's certificate is due for renewal, None when it has no valid certificate."""
        cert = self.parsed_certificate.certificate
        if cert is None:
            return None
        spec = self.certificate.spec
        return renewal_time(
            cert.not_valid_before_utc,
            cert.not_valid_after_utc,
            parse_duration(spec.renew_before) if spec.renew_before else None,
            spec.renew_before_percentage,
        )
