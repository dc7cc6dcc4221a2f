"""Subject alternative names: encode a Certificate's SANs, and read them back from a cert or CSR."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import cast

from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from certpilot.api.certificate import CertificateSpec
from certpilot.pki.errors import InvalidSANError
from certpilot.pki.extension_lookup import cryptography_classes, extension_value

_UTF8_STRING_TAG = 0x0C

# The kinds of SAN sans_in reads.
_SAN_KINDS: tuple[type[x509.GeneralName], ...] = (
    x509.DNSName,
    x509.IPAddress,
    x509.UniformResourceIdentifier,
    x509.RFC822Name,
    x509.OtherName,
)
CRYPTOGRAPHY_GENERAL_NAME_TYPES: frozenset[type[x509.GeneralName]] = cryptography_classes(x509.GeneralName)


def encode_utf8_string(value: str) -> bytes:
    """DER UTF8String: cert-manager encodes every otherName value this way."""
    content = value.encode()
    if len(content) < 0x80:
        return bytes([_UTF8_STRING_TAG, len(content)]) + content
    length = len(content).to_bytes((len(content).bit_length() + 7) // 8, "big")
    return bytes([_UTF8_STRING_TAG, 0x80 | len(length)]) + length + content


def decode_utf8_string(der: bytes) -> str | None:
    """The text of a DER UTF8String, or None when der is anything else."""
    if len(der) < 2 or der[0] != _UTF8_STRING_TAG:
        return None
    if der[1] < 0x80:
        start, length = 2, der[1]
    else:
        size = der[1] & 0x7F
        start, length = 2 + size, int.from_bytes(der[2 : 2 + size], "big")
    if start + length != len(der):
        return None
    try:
        return der[start:].decode()
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True)
class SubjectAltNames:
    """SANs as sorted tuples, so two sets compare equal regardless of order.
    IPs are normalised (ipaddress), other names are (oid, utf8 value)."""

    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    uris: tuple[str, ...] = ()
    email_addresses: tuple[str, ...] = ()
    other_names: tuple[tuple[str, str], ...] = ()


def normalise_ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise InvalidSANError(f"ipAddresses entry {value!r} is not an IPv4 or IPv6 address") from None


def sans_for(spec: CertificateSpec) -> SubjectAltNames:
    """The SANs a Certificate asks for (validated), order-free."""
    other_names: list[tuple[str, str]] = []
    for other in spec.other_names or []:
        if not other.oid or other.utf8_value is None:
            raise InvalidSANError("otherNames entries need both 'oid' and 'utf8Value'")
        try:
            ObjectIdentifier(other.oid)
        except ValueError:
            raise InvalidSANError(
                f"otherNames oid {other.oid!r} is not a dotted OID like 1.3.6.1.4.1.311.20.2.3"
            ) from None
        other_names.append((other.oid, other.utf8_value))
    return SubjectAltNames(
        dns_names=tuple(sorted(set(spec.dns_names or []))),
        ip_addresses=tuple(sorted({normalise_ip(ip) for ip in spec.ip_addresses or []})),
        uris=tuple(sorted(set(spec.uris or []))),
        email_addresses=tuple(sorted(set(spec.email_addresses or []))),
        other_names=tuple(sorted(set(other_names))),
    )


def general_names_for(spec: CertificateSpec) -> list[x509.GeneralName]:
    """The SAN entries, in the order the spec lists them (DNS, IP, URI, email, otherName)."""
    sans_for(spec)  # validates every entry before anything is encoded
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in spec.dns_names or []]
    names += [x509.IPAddress(ipaddress.ip_address(ip.strip())) for ip in spec.ip_addresses or []]
    names += [x509.UniformResourceIdentifier(uri) for uri in spec.uris or []]
    names += [x509.RFC822Name(email) for email in spec.email_addresses or []]
    names += [
        x509.OtherName(ObjectIdentifier(other.oid or ""), encode_utf8_string(other.utf8_value or ""))
        for other in spec.other_names or []
    ]
    return names


def sans_in(extensions: x509.Extensions) -> SubjectAltNames:
    """The SANs encoded in a certificate's or CSR's extensions (empty when there are none)."""
    san = extension_value(extensions, x509.SubjectAlternativeName)
    if san is None:
        return SubjectAltNames()
    names = general_names_by_type(san)
    other_names: set[tuple[str, str]] = set()
    for other in cast(list[x509.OtherName], names[x509.OtherName]):
        text = decode_utf8_string(other.value)
        other_names.add((other.type_id.dotted_string, text if text is not None else other.value.hex()))
    return SubjectAltNames(
        dns_names=tuple(sorted({name.value for name in names[x509.DNSName]})),
        ip_addresses=tuple(sorted({str(name.value) for name in names[x509.IPAddress]})),
        uris=tuple(sorted({name.value for name in names[x509.UniformResourceIdentifier]})),
        email_addresses=tuple(sorted({name.value for name in names[x509.RFC822Name]})),
        other_names=tuple(sorted(other_names)),
    )


def general_names_by_type(
    san: x509.SubjectAlternativeName,
) -> dict[type[x509.GeneralName], list[x509.GeneralName]]:
    """The entries that are instances of each kind sans_in reads, in the order listed: what
    san.get_values_for_type finds for each kind, in one pass and without its isinstance tests
    against the GeneralName ABC for cryptography's own classes."""
    names: dict[type[x509.GeneralName], list[x509.GeneralName]] = {kind: [] for kind in _SAN_KINDS}
    for general_name in san:
        name_type = type(general_name)
        if name_type in CRYPTOGRAPHY_GENERAL_NAME_TYPES:
            same_type = names.get(name_type)
            if same_type is not None:
                same_type.append(general_name)
            continue
        for kind, instances in names.items():
            if isinstance(general_name, kind):
                instances.append(general_name)
    return names
