"""The X.509 subject a Certificate asks for: commonName + subject fields, or a literalSubject."""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

from certpilot.api.certificate import CertificateSpec, X509Subject
from certpilot.pki.errors import InvalidSubjectError

# Attribute names accepted in a literalSubject beyond cryptography's own, matched case-insensitively
# as LDAP DN parsers (and so cert-manager) do.
_LITERAL_SUBJECT_NAMES: dict[str, ObjectIdentifier] = {
    "CN": NameOID.COMMON_NAME,
    "C": NameOID.COUNTRY_NAME,
    "L": NameOID.LOCALITY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "STREET": NameOID.STREET_ADDRESS,
    "POSTALCODE": NameOID.POSTAL_CODE,
    "SERIALNUMBER": NameOID.SERIAL_NUMBER,
    "DC": NameOID.DOMAIN_COMPONENT,
    "UID": NameOID.USER_ID,
    "E": NameOID.EMAIL_ADDRESS,
    "EMAILADDRESS": NameOID.EMAIL_ADDRESS,
}


def _name_overrides() -> dict[str, ObjectIdentifier]:
    overrides: dict[str, ObjectIdentifier] = {}
    camel = {"POSTALCODE": "postalCode", "SERIALNUMBER": "serialNumber", "EMAILADDRESS": "emailAddress"}
    for name, oid in _LITERAL_SUBJECT_NAMES.items():
        for spelling in (name, name.lower(), name.capitalize(), camel.get(name, name)):
            overrides[spelling] = oid
    return overrides


_OVERRIDES = _name_overrides()


def parse_literal_subject(literal_subject: str) -> x509.Name:
    """An RFC 4514 string (attribute names or dotted OIDs) as an X.509 Name, in encoded order."""
    try:
        name = x509.Name.from_rfc4514_string(literal_subject, _OVERRIDES)
    except ValueError as error:
        raise InvalidSubjectError(
            f"literalSubject {literal_subject!r} is not a valid RFC 4514 distinguished name"
            f"{': ' + str(error) if str(error) else ''}; write it like 'CN=app,O=Example,C=GB'"
        ) from None
    if not list(name):
        raise InvalidSubjectError("literalSubject is empty: set at least one attribute, e.g. 'CN=app'")
    return name


def subject_attributes(common_name: str | None, subject: X509Subject | None) -> list[x509.NameAttribute[str]]:
    """Attributes in Go's pkix.Name order, so certificates match those cert-manager issues."""
    fields = subject or X509Subject()
    ordered: list[tuple[ObjectIdentifier, list[str]]] = [
        (NameOID.COUNTRY_NAME, fields.countries or []),
        (NameOID.STATE_OR_PROVINCE_NAME, fields.provinces or []),
        (NameOID.LOCALITY_NAME, fields.localities or []),
        (NameOID.STREET_ADDRESS, fields.street_addresses or []),
        (NameOID.POSTAL_CODE, fields.postal_codes or []),
        (NameOID.ORGANIZATION_NAME, fields.organizations or []),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, fields.organizational_units or []),
        (NameOID.COMMON_NAME, [common_name] if common_name else []),
        (NameOID.SERIAL_NUMBER, [fields.serial_number] if fields.serial_number else []),
    ]
    attributes: list[x509.NameAttribute[str]] = []
    for oid, values in ordered:
        for value in values:
            try:
                attributes.append(x509.NameAttribute(oid, value))
            except ValueError as error:
                raise InvalidSubjectError(f"subject value {value!r} cannot be encoded: {error}") from None
    return attributes


def subject_for(spec: CertificateSpec) -> x509.Name:
    """The subject to request: literalSubject verbatim when set, else commonName + subject."""
    if spec.literal_subject:
        return parse_literal_subject(spec.literal_subject)
    return x509.Name(subject_attributes(spec.common_name, spec.subject))


def subject_values_by_oid(name: x509.Name) -> dict[ObjectIdentifier, list[str]]:
    """Every string value of each attribute type in a Name, in encoded order, from one pass over
    it (Name.get_attributes_for_oid scans the whole Name for each type)."""
    values: dict[ObjectIdentifier, list[str]] = {}
    for attribute in name:
        values.setdefault(attribute.oid, []).append(str(attribute.value))
    return values
