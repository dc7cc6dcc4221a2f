"""Does an issued certificate (or a CSR) still satisfy a Certificate spec?

Each check is a small function returning a mismatch description or nothing; a list of them is
empty exactly when everything matches. Descriptions name the field and both values (never keys)."""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

from certpilot.api.certificate import CertificateSpec, X509Subject
from certpilot.pki.extension_lookup import extension_value
from certpilot.pki.keys import (
    PrivateKey,
    PublicKey,
    key_spec_for,
    key_spec_of,
    public_key_matches,
    supported_public_key,
)
from certpilot.pki.nameconstraints import name_constraints_for, name_constraints_in
from certpilot.pki.sans import SubjectAltNames, sans_for, sans_in
from certpilot.pki.subject import parse_literal_subject, subject_values_by_oid
from certpilot.pki.usages import Usages, usages_for, usages_in

# Each subject field: its name in the spec, its attribute type, and how to read it from the spec.
_SUBJECT_FIELDS: list[tuple[str, ObjectIdentifier, Callable[[X509Subject], list[str] | None]]] = [
    ("organizations", NameOID.ORGANIZATION_NAME, attrgetter("organizations")),
    ("countries", NameOID.COUNTRY_NAME, attrgetter("countries")),
    ("organizationalUnits", NameOID.ORGANIZATIONAL_UNIT_NAME, attrgetter("organizational_units")),
    ("localities", NameOID.LOCALITY_NAME, attrgetter("localities")),
    ("provinces", NameOID.STATE_OR_PROVINCE_NAME, attrgetter("provinces")),
    ("streetAddresses", NameOID.STREET_ADDRESS, attrgetter("street_addresses")),
    ("postalCodes", NameOID.POSTAL_CODE, attrgetter("postal_codes")),
]


# The subject of a spec without one (never modified: only read).
_NO_SUBJECT = X509Subject()


def subject_mismatches(name: x509.Name, spec: CertificateSpec) -> list[str]:
    """literalSubject compares the whole DN in order; otherwise commonName and each subject field
    compare order-free."""
    if spec.literal_subject:
        wanted = parse_literal_subject(spec.literal_subject).rfc4514_string()
        actual = name.rfc4514_string()
        return [] if wanted == actual else [f"literalSubject: has '{actual}', spec wants '{wanted}'"]
    values = subject_values_by_oid(name)
    mismatches: list[str] = []
    # Go's pkix.Name keeps the last commonName.
    common_names = values.get(NameOID.COMMON_NAME)
    common_name = common_names[-1] if common_names else ""
    if common_name != (spec.common_name or ""):
        mismatches.append(f"commonName: has {common_name!r}, spec wants {spec.common_name or ''!r}")
    subject = spec.subject or _NO_SUBJECT
    for field, oid, spec_values in _SUBJECT_FIELDS:
        actual_values = sorted(values.get(oid, []))
        wanted_values = sorted(spec_values(subject) or [])
        if actual_values != wanted_values:
            mismatches.append(f"subject.{field}: has {actual_values}, spec wants {wanted_values}")
    serials = values.get(NameOID.SERIAL_NUMBER, [])
    if (serials[-1] if serials else "") != (subject.serial_number or ""):
        mismatches.append(f"subject.serialNumber: has {serials}, spec wants {subject.serial_number!r}")
    return mismatches


def san_mismatches(actual: SubjectAltNames, wanted: SubjectAltNames) -> list[str]:
    """One description per SAN kind whose set differs (order never matters)."""
    kinds: list[tuple[str, tuple[object, ...], tuple[object, ...]]] = [
        ("dnsNames", actual.dns_names, wanted.dns_names),
        ("ipAddresses", actual.ip_addresses, wanted.ip_addresses),
        ("uris", actual.uris, wanted.uris),
        ("emailAddresses", actual.email_addresses, wanted.email_addresses),
        ("otherNames", actual.other_names, wanted.other_names),
    ]
    return [
        f"{kind}: has {list(has)}, spec wants {list(wants)}" for kind, has, wants in kinds if has != wants
    ]


def is_ca_in(extensions: x509.Extensions) -> bool:
    basic_constraints = extension_value(extensions, x509.BasicConstraints)
    return basic_constraints is not None and basic_constraints.ca


def is_ca_mismatch(extensions: x509.Extensions, spec: CertificateSpec) -> str | None:
    actual, wanted = is_ca_in(extensions), bool(spec.is_ca)
    return None if actual == wanted else f"isCA: has {actual}, spec wants {wanted}"


def key_mismatch(public_key: PublicKey, spec: CertificateSpec) -> str | None:
    actual, wanted = key_spec_of(public_key), key_spec_for(spec.private_key)
    return None if actual == wanted else f"privateKey: has {actual}, spec wants {wanted}"


def exact_usage_mismatch(actual: Usages, wanted: Usages) -> str | None:
    if actual == wanted:
        return None
    return f"usages: has [{actual.describe()}], spec wants [{wanted.describe()}]"


def requested_usage_missing(actual: Usages, spec: CertificateSpec) -> str | None:
    """Usages explicitly listed in the spec but absent from the certificate. Extra usages are fine,
    and nothing is checked when the spec lists none: public CAs (ACME) choose their own usages, so an
    exact comparison would reissue forever."""
    if not spec.usages:
        return None
    wanted = usages_for(spec.usages, bool(spec.is_ca))
    missing = Usages(
        wanted.key_usage - actual.key_usage, wanted.extended_key_usage - actual.extended_key_usage
    )
    if not (missing.key_usage or missing.extended_key_usage):
        return None
    return f"usages: missing [{missing.describe()}] (has [{actual.describe()}])"


def name_constraints_mismatch(extensions: x509.Extensions, spec: CertificateSpec) -> str | None:
    actual, wanted = name_constraints_in(extensions), name_constraints_for(spec.name_constraints)
    if actual == wanted:
        return None
    has, wants = (actual.value if actual else None), (wanted.value if wanted else None)
    return f"nameConstraints: has {has}, spec wants {wants}"


def certificate_mismatches(cert: x509.Certificate, spec: CertificateSpec) -> list[str]:
    """Why an issued certificate no longer satisfies the spec; empty when it does."""
    checks = [
        *subject_mismatches(cert.subject, spec),
        *san_mismatches(sans_in(cert.extensions), sans_for(spec)),
        is_ca_mismatch(cert.extensions, spec),
        requested_usage_missing(usages_in(cert.extensions), spec),
        key_mismatch(supported_public_key(cert.public_key()), spec),
    ]
    return [mismatch for mismatch in checks if mismatch]


def key_pair_matches(cert: x509.Certificate, key: PrivateKey) -> bool:
    """Whether the Secret's private key is the certificate's key."""
    return public_key_matches(cert, key)
