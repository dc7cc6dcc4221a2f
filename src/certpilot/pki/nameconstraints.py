"""The nameConstraints extension a CA Certificate asks for (RFC 5280 4.2.1.10)."""

from __future__ import annotations

import ipaddress

from cryptography import x509

from certpilot.api.certificate import NameConstraintItem, NameConstraints
from certpilot.pki.errors import InvalidSANError


def _subtrees(item: NameConstraintItem | None, side: str) -> list[x509.GeneralName] | None:
    if item is None:
        return None
    names: list[x509.GeneralName] = [x509.DNSName(domain) for domain in item.dns_domains or []]
    for cidr in item.ip_ranges or []:
        try:
            names.append(x509.IPAddress(ipaddress.ip_network(cidr.strip(), strict=True)))
        except ValueError:
            raise InvalidSANError(
                f"nameConstraints.{side}.ipRanges entry {cidr!r} is not a CIDR range like 10.0.0.0/8"
            ) from None
    names += [x509.RFC822Name(email) for email in item.email_addresses or []]
    names += [x509.UniformResourceIdentifier(domain) for domain in item.uri_domains or []]
    return names or None


def name_constraints_for(constraints: NameConstraints | None) -> x509.Extension[x509.NameConstraints] | None:
    """The extension (with its criticality), or None when nothing is permitted or excluded."""
    if constraints is None:
        return None
    permitted = _subtrees(constraints.permitted, "permitted")
    excluded = _subtrees(constraints.excluded, "excluded")
    if permitted is None and excluded is None:
        return None
    value = x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=excluded)
    return x509.Extension(value.oid, bool(constraints.critical), value)


def name_constraints_in(extensions: x509.Extensions) -> x509.Extension[x509.NameConstraints] | None:
    try:
        return extensions.get_extension_for_class(x509.NameConstraints)
    except x509.ExtensionNotFound:
        return None
