"""What to revoke and why (light: the ACME and Vault client stacks load only when revoking)."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from certpilot.pki.keys import PrivateKey
from certpilot.pki.revocation_reasons import RevocationReason


class RevocationFailed(Exception):
    """The certificate was not revoked; the message says why and what to change."""


@dataclass(frozen=True)
class Revocation:
    """One certificate to revoke. `certificate_key` set: sign the ACME request with it instead of
    the account key (RFC 8555 7.6), for a certificate whose account is lost."""

    certificate_pem: bytes
    reason: RevocationReason
    certificate_key: PrivateKey | None = None

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.certificate_pem)

    @property
    def serial_hex(self) -> str:
        return f"{self.certificate.serial_number:x}"
