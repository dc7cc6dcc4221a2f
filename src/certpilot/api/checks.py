"""Small predicates on field values shared by the validators. Each returns what is wrong, or None."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from urllib.parse import urlsplit

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN_MAX = 253
_DNS1123_LABEL_MAX = 63
# Deliberately simple: one @, a non-empty local part without spaces, and a dotless-or-dotted domain.
_EMAIL = re.compile(r"[^@\s<>]+@[^@\s<>]+")
_OID = re.compile(r"[0-2](\.(0|[1-9][0-9]*))+")


def dns1123_subdomain_problem(value: str) -> str | None:
    """Why `value` is not a Kubernetes object name (DNS-1123 subdomain), or None."""
    rule = "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
    if not value:
        return f"must be set: {rule}"
    if len(value) > _DNS1123_SUBDOMAIN_MAX:
        return f"{value!r} is longer than {_DNS1123_SUBDOMAIN_MAX} characters"
    if not all(_DNS1123_LABEL.fullmatch(part) for part in value.split(".")):
        return f"{value!r} is not a DNS-1123 subdomain: {rule}"
    return None


def dns1123_label_problem(value: str) -> str | None:
    rule = "at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit"
    if len(value) > _DNS1123_LABEL_MAX or not _DNS1123_LABEL.fullmatch(value):
        return f"{value!r} is not a DNS-1123 label: {rule}"
    return None


def url_problem(value: str, schemes: tuple[str, ...] = ("https", "http")) -> str | None:
    """Why `value` is not an absolute URL with one of `schemes` and a host, or None."""
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        return f"{value!r} is not a URL: expected {' or '.join(s + '://' for s in schemes)}host[/path]"
    return None


def absolute_uri_problem(value: str) -> str | None:
    if not urlsplit(value).scheme:
        return f"{value!r} is not an absolute URI: expected scheme:..., e.g. spiffe://cluster.local/ns/a"
    return None


def ip_address_problem(value: str) -> str | None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return f"{value!r} is not an IP address: expected IPv4 (10.0.0.1) or IPv6 (2001:db8::1)"
    return None


def email_problem(value: str) -> str | None:
    if not _EMAIL.fullmatch(value):
        return f"{value!r} is not an email address: expected user@domain"
    return None


def oid_problem(value: str) -> str | None:
    if not _OID.fullmatch(value):
        return f"{value!r} is not an object identifier: expected dotted numbers, e.g. 1.3.6.1.4.1.311.20.2.3"
    return None


def host_port_problem(value: str) -> str | None:
    """Why `value` is not host[:port] (an IPv6 host in brackets when a port follows), or None."""
    expected = "expected host or host:port, e.g. 127.0.0.1:53, ns1.example.com or [2001:db8::1]:53"
    host, port = value, ""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if rest and not rest.startswith(":"):
            return f"{value!r}: {expected}"
        port = rest[1:]
    elif value.count(":") == 1:
        host, _, port = value.partition(":")
    if not host or any(c.isspace() or c in "/@" for c in host):
        return f"{value!r}: {expected}"
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        return f"{value!r}: port must be 1-65535; {expected}"
    return None


def base64_problem(value: str) -> str | None:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "is not valid base64"
    return None


def pem_csr_problem(value: str) -> str | None:
    """Why `value` (base64 of a PEM CSR, as Kubernetes stores bytes) is not a parseable CSR."""
    # Imported on use: cryptography.x509 would add ~50 ms to every `certpilot apply`.
    from cryptography import x509

    from certpilot.api.unparsed_parts import X509_LOAD_ERRORS, unparsed_part

    try:
        pem = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return "must be the base64 encoding of a PEM certificate signing request; got invalid base64"
    try:
        csr = x509.load_pem_x509_csr(pem)
    except X509_LOAD_ERRORS:
        return "must be a PEM certificate signing request (-----BEGIN CERTIFICATE REQUEST-----)"
    part = unparsed_part(csr)
    return None if part is None else f"the {part} of the certificate signing request does not parse"


def rfc4514_common_names(value: str) -> list[str] | None:
    """The CN values of an RFC 4514 subject string, or None when it does not parse."""
    # Imported on use: cryptography.x509 would add ~50 ms to every `certpilot apply`.
    from cryptography import x509

    try:
        name = x509.Name.from_rfc4514_string(value)
    except ValueError:
        return None
    return [str(a.value) for a in name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
