"""cert-manager's Secret annotations describing the issued certificate (cert-manager.io/common-name...)."""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID

from certpilot.api import annotations as annotation_keys
from certpilot.pki.extension_lookup import extension_value
from certpilot.pki.sans import general_names_by_type
from certpilot.pki.subject import subject_values_by_oid


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
    The subject and the SANs are each read once (this runs on every issuance and Secret check)."""
    subject = subject_values_by_oid(cert.subject)
    sans = _san_values_by_type(cert)
    result: dict[str, str] = {}
    # Only the attributes present are joined: most subjects have none of these.
    for key, oid in _SUBJECT_ANNOTATIONS:
        values = subject.get(oid)
        if values and (listed := join_with_csv_escaping(values)):
            result[key] = listed
    serial_number = subject.get(NameOID.SERIAL_NUMBER, ("",))[0]
    if serial_number:
        result[annotation_keys.SUBJECT_SERIAL_NUMBER] = serial_number
    emails = ",".join(sans[x509.RFC822Name])
    if emails:
        result[annotation_keys.EMAIL_SANS] = emails
    # Go's pkix.Name keeps the last commonName.
    result[annotation_keys.COMMON_NAME] = subject.get(NameOID.COMMON_NAME, ("",))[-1]
    result[annotation_keys.ALT_NAMES] = ",".join(sans[x509.DNSName])
    result[annotation_keys.IP_SANS] = ",".join(sans[x509.IPAddress])
    result[annotation_keys.URI_SANS] = ",".join(sans[x509.UniformResourceIdentifier])
    return result


def _san_values_by_type(cert: x509.Certificate) -> dict[type[x509.GeneralName], list[str]]:
    """SAN values of each type in the order the certificate lists them (Go keeps that order)."""
    san = extension_value(cert.extensions, x509.SubjectAlternativeName)
    names = general_names_by_type(san) if san is not None else {}
    return {san_type: [str(name.value) for name in names.get(san_type, [])] for san_type in _SAN_TYPES}
