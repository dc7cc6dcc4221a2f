"""cert-manager's usage strings mapped to X.509 keyUsage bits and extendedKeyUsage OIDs, both ways."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from certpilot.api import defaults
from certpilot.api.enums import KeyUsage
from certpilot.pki.errors import InvalidUsageError
from certpilot.pki.extension_lookup import is_extension

# keyUsage bits by the name of their x509.KeyUsage constructor argument.
KEY_USAGE_BITS: dict[KeyUsage, str] = {
    KeyUsage.SIGNING: "digital_signature",
    KeyUsage.DIGITAL_SIGNATURE: "digital_signature",
    KeyUsage.CONTENT_COMMITMENT: "content_commitment",
    KeyUsage.KEY_ENCIPHERMENT: "key_encipherment",
    KeyUsage.KEY_AGREEMENT: "key_agreement",
    KeyUsage.DATA_ENCIPHERMENT: "data_encipherment",
    KeyUsage.CERT_SIGN: "key_cert_sign",
    KeyUsage.CRL_SIGN: "crl_sign",
    KeyUsage.ENCIPHER_ONLY: "encipher_only",
    KeyUsage.DECIPHER_ONLY: "decipher_only",
}
EXTENDED_KEY_USAGE_OIDS: dict[KeyUsage, ObjectIdentifier] = {
    KeyUsage.ANY: ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    KeyUsage.SERVER_AUTH: ExtendedKeyUsageOID.SERVER_AUTH,
    KeyUsage.CLIENT_AUTH: ExtendedKeyUsageOID.CLIENT_AUTH,
    KeyUsage.CODE_SIGNING: ExtendedKeyUsageOID.CODE_SIGNING,
    KeyUsage.EMAIL_PROTECTION: ExtendedKeyUsageOID.EMAIL_PROTECTION,
    KeyUsage.SMIME: ExtendedKeyUsageOID.EMAIL_PROTECTION,
    KeyUsage.IPSEC_END_SYSTEM: ObjectIdentifier("1.3.6.1.5.5.7.3.5"),
    KeyUsage.IPSEC_TUNNEL: ObjectIdentifier("1.3.6.1.5.5.7.3.6"),
    KeyUsage.IPSEC_USER: ObjectIdentifier("1.3.6.1.5.5.7.3.7"),
    KeyUsage.TIMESTAMPING: ExtendedKeyUsageOID.TIME_STAMPING,
    KeyUsage.OCSP_SIGNING: ExtendedKeyUsageOID.OCSP_SIGNING,
    KeyUsage.MICROSOFT_SGC: ObjectIdentifier("1.3.6.1.4.1.311.10.3.3"),
    KeyUsage.NETSCAPE_SGC: ObjectIdentifier("2.16.840.1.113730.4.1"),
}
_NO_BITS = dict.fromkeys(sorted(set(KEY_USAGE_BITS.values())), False)


@dataclass(frozen=True)
class Usages:
    """keyUsage bits set (x509.KeyUsage argument names) and extendedKeyUsage OIDs, order-free."""

    key_usage: frozenset[str]
    extended_key_usage: frozenset[ObjectIdentifier]

    def key_usage_extension(self) -> x509.KeyUsage | None:
        if not self.key_usage:
            return None
        try:
            return x509.KeyUsage(**{**_NO_BITS, **dict.fromkeys(self.key_usage, True)})
        except ValueError:
            raise InvalidUsageError(
                "usages 'encipher only' and 'decipher only' require 'key agreement': add it to usages"
            ) from None

    def extended_key_usage_extension(self) -> x509.ExtendedKeyUsage | None:
        if not self.extended_key_usage:
            return None
        return x509.ExtendedKeyUsage(sorted(self.extended_key_usage, key=lambda oid: oid.dotted_string))

    def describe(self) -> str:
        """Human-readable: cert-manager usage names where one exists."""
        names = sorted({usage_name_for_bit(bit) for bit in self.key_usage})
        names += sorted({usage_name_for_oid(oid) for oid in self.extended_key_usage})
        return ", ".join(names) or "none"


def usage_name_for_bit(bit: str) -> str:
    return next(
        usage.value for usage, name in KEY_USAGE_BITS.items() if name == bit and usage != KeyUsage.SIGNING
    )


def usage_name_for_oid(oid: ObjectIdentifier) -> str:
    return next(
        (
            usage.value
            for usage, known in EXTENDED_KEY_USAGE_OIDS.items()
            if known == oid and usage != KeyUsage.SMIME
        ),
        oid.dotted_string,
    )


def usages_for(usages: Iterable[KeyUsage | str] | None, is_ca: bool) -> Usages:
    """The KU/EKU a Certificate or CertificateRequest asks for: cert-manager's default
    (digital signature, key encipherment) when none are listed, plus cert sign for a CA."""
    try:
        requested = [KeyUsage(usage) for usage in usages or ()] or list(defaults.DEFAULT_USAGES)
    except ValueError as error:
        raise InvalidUsageError(f"unknown usage: {error}; use one of cert-manager's usage names") from None
    bits = {KEY_USAGE_BITS[usage] for usage in requested if usage in KEY_USAGE_BITS}
    if is_ca:
        bits.add(KEY_USAGE_BITS[KeyUsage.CERT_SIGN])
    oids = {EXTENDED_KEY_USAGE_OIDS[usage] for usage in requested if usage in EXTENDED_KEY_USAGE_OIDS}
    return Usages(frozenset(bits), frozenset(oids))


def usages_in(extensions: x509.Extensions) -> Usages:
    """The KU/EKU encoded in a certificate's or CSR's extensions."""
    bits: set[str] = set()
    oids: set[ObjectIdentifier] = set()
    for extension in extensions:
        value = extension.value
        if is_extension(value, x509.KeyUsage):
            bits = {bit for bit in _NO_BITS if _bit_is_set(value, bit)}
        elif is_extension(value, x509.ExtendedKeyUsage):
            oids = set(value)
    return Usages(frozenset(bits), frozenset(oids))


def _bit_is_set(key_usage: x509.KeyUsage, bit: str) -> bool:
    # cryptography refuses to read encipher/decipher only unless key agreement is set.
    if bit in ("encipher_only", "decipher_only") and not key_usage.key_agreement:
        return False
    return bool(getattr(key_usage, bit))
