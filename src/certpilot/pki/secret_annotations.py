"""cert-manager's Secret annotations describing the issued certificate (cert-manager.io/common-name...)."""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier

from certpilot.api import annotations as annotation_keys


def join_with_csv_escaping(values: list[str]) -> str:
    """One CSV record, as Go's encoding/csv writes it: a value is quoted (quotes doubled) when it
    holds a comma, quote, CR or LF, or starts with a space or tab."""

    def escaped(value: str) -> str:
        needs_quotes = any(char in value for char in ',"\r\n') or value[:1] in (" ", "\t") or value == "\\."
        return '"' + value.replace('"', '""') + '"' if needs_quotes else value

    return ",".join(escaped(value) for value in values)


# The optional subject annotations, left out when empty, and the attribute each one lists.
_SUBJECT_ANNOTATIONS = (
    (annotation_keys.SUBJECT_ORGANIZATIONS, NameOID.ORGANIZATION_NAME),
    (annotation_keys.SUBJECT_ORGANIZATIONAL_UNITS, NameOID.ORGANIZATIONAL_UNIT_NAME),
    (annotation_keys.SUBJECT_COUNTRIES, NameOID.COUNTRY_NAME),
    (annotation_keys.SUBJECT_PROVINCES, NameOID.STATE_OR_PROVINCE_NAME),
    (annotation_keys.SUBJECT_LOCALITIES, NameOID.LOCALITY_NAME),
    (annotation_keys.SUBJECT_POSTAL_CODES, NameOID.POSTAL_CODE),
    (annotation_keys.SUBJECT_STREET_ADDRESSES, NameOID.STREET_ADDRESS),
)
_SAN_TYPES = (x509.RFC822Name, x509.DNSName, x509.IPAddress, x509.UniformResourceIdentifier)


def certificate_secret_annotations(cert: x509.Certificate) -> dict[str, str]:
    """Annotations derived from the certificate. Subject and email annotations are left out when
    empty; common-name, alt-names, ip-sans and uri-sans are always present (maybe empty).
    The subject and the SANs are each read once (this runs on every issuance)."""
    subject = _subject_values_by_oid(cert.subject)
    sans = _san_values_by_type(cert)
    optional = {key: join_with_csv_escaping(subject.get(oid, [])) for key, oid in _SUBJECT_ANNOTATIONS}
    optional[annotation_keys.SUBJECT_SERIAL_NUMBER] = subject.get(NameOID.SERIAL_NUMBER, [""])[0]
    optional[annotation_keys.EMAIL_SANS] = ",".join(sans[x509.RFC822Name])
    result = {key: value for key, value in optional.items() if value}
    # Go's pkix.Name keeps the last commonName.
    result[annotation_keys.COMMON_NAME] = subject.get(NameOID.COMMON_NAME, [""])[-1]
    result[annotation_keys.ALT_NAMES] = ",".join(sans[x509.DNSName])
    result[annotation_keys.IP_SANS] = ",".join(sans[x509.IPAddress])
    result[annotation_keys.URI_SANS] = ",".join(sans[x509.UniformResourceIdentifier])
    return result


def _subject_values_by_oid(name: x509.Name) -> dict[ObjectIdentifier, list[str]]:
    """Every string value of each attribute type, in encoded order (as subject_values)."""
    values: dict[ObjectIdentifier, list[str]] = {}
    for attribute in name:
        values.setdefault(attribute.oid, []).append(str(attribute.value))
    return values


def _san_values_by_type(cert: x509.Certificate) -> dict[type[x509.GeneralName], list[str]]:
    """SAN values of each type in the order the certificate lists them (Go keeps that order)."""
    values: dict[type[x509.GeneralName], list[str]] = {san_type: [] for san_type in _SAN_TYPES}
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return values
    for general_name in san:
        for san_type in _SAN_TYPES:
            if isinstance(general_name, san_type):
                values[san_type].append(str(general_name.value))
    return values
