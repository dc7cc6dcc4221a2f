"""ACME Renewal Information (RFC 9773): the certificate identifier a CA knows a certificate by,
and the suggested renewal window it answers with."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509

# RFC 9773 4.3.3: without a Retry-After the client polls again within a day; Let's Encrypt and
# pebble send six hours. Answers outside these bounds are clamped, so a CA can neither make
# certpilot poll in a loop nor stop it looking for a day.
DEFAULT_POLL_INTERVAL = timedelta(hours=6)
MIN_POLL_INTERVAL = timedelta(minutes=1)
MAX_POLL_INTERVAL = timedelta(days=1)


class NoCertificateId(ValueError):
    """The certificate has no Authority Key Identifier, so ARI cannot name it."""


@dataclass(frozen=True)
class RenewalInfo:
    """The CA's suggested window [start, end) and when to ask again."""

    window_start: datetime
    window_end: datetime
    next_poll: datetime


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def certificate_id(certificate: x509.Certificate) -> str:
    """RFC 9773 4.1: base64url(AKI keyIdentifier) "." base64url(DER bytes of the serial)."""
    try:
        aki = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        raise NoCertificateId("the certificate has no Authority Key Identifier") from None
    if aki.key_identifier is None:
        raise NoCertificateId("the certificate's Authority Key Identifier has no keyIdentifier")
    serial = certificate.serial_number
    # The serial as a DER INTEGER's content: big-endian two's complement, room for the sign bit.
    serial_bytes = serial.to_bytes(serial.bit_length() // 8 + 1, "big", signed=True)
    return f"{_base64url(aki.key_identifier)}.{_base64url(serial_bytes)}"


def next_poll_after(retry_after_seconds: float | None, now: datetime) -> datetime:
    """When to ask again: Retry-After clamped to [1 minute, 1 day], six hours without one."""
    if retry_after_seconds is None:
        return now + DEFAULT_POLL_INTERVAL
    wait = timedelta(seconds=retry_after_seconds)
    return now + min(max(wait, MIN_POLL_INTERVAL), MAX_POLL_INTERVAL)
