"""A Secret's certificate and private key, parsed, or why they could not be (the Certificate
controllers remember them per Secret version: memos.py)."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from certpilot.api.unparsed_parts import X509_LOAD_ERRORS
from certpilot.pki.errors import PKIError
from certpilot.pki.keys import PrivateKey, parse_private_key


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

    def __repr__(self) -> str:
        return f"ParsedKey(key={'<hidden>' if self.key is not None else None}, error={self.error!r})"


def parse_leaf(pem: bytes) -> ParsedCertificate:
    try:
        chain = x509.load_pem_x509_certificates(pem)
    except X509_LOAD_ERRORS:
        return ParsedCertificate(None, "tls.crt is not a PEM certificate bundle")
    return ParsedCertificate(chain[0], None)


def parse_key(pem: bytes) -> ParsedKey:
    try:
        return ParsedKey(parse_private_key(pem), None)
    except PKIError as err:
        return ParsedKey(None, str(err))
