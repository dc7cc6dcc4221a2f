"""cert-manager's Secret annotations describing the issued certificate (cert-manager.io/common-name...)."""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID

from certpilot.api import annotations as annotation_keys
from certpilot.pki.subject import common_name_of, subject_values


def join_with_csv_escaping(values: list[str]) -> str:
    """One CSV record, as Go's encoding/csv writes it: a value is quoted (quotes doubled) when it
    holds a comma, quote, CR or LF, or starts with a space or tab."""

    def escaped(value: str) -> str:
        needs_quotes = any(char in value for char in ',"\r\n') or value[:1] in (" ", "\t") or value == "\\."
        return '"' + value.replace('"', '""') + '"' if needs_quotes else value

    return ",".join(escaped(value) for value in values)


def certificate_secret_annotations(cert: x509.Certificate) -> dict[str, str]:
    """Annotations derived from the certificate. Subject and email annotations are left out when
    empty; common-name, alt-names, ip-sans and uri-sans are always present (maybe empty)."""
    subject = cert.subject
    optional = {
        annotation_keys.SUBJECT_ORGANIZATIONS: join_with_csv_escaping(
            subject_values(subject, NameOID.ORGANIZATION_NAME)
        ),
        annotation_keys.SUBJECT_ORGANIZATIONAL_UNITS: join_with_csv_escaping(
            subject_values(subject, NameOID.ORGANIZATIONAL_UNIT_NAME)
        ),
        annotation_keys.SUBJECT_COUNTRIES: join_with_csv_escaping(
            subject_values(subject, NameOID.COUNTRY_NAME)
        ),
        annotation_keys.SUBJECT_PROVINCES: join_with_csv_escaping(
            subject_values(subject, NameOID.STATE_OR_PROVINCE_NAME)
        ),
        annotation_keys.SUBJECT_LOCALITIES: join_with_csv_escaping(
            subject_values(subject, NameOID.LOCALITY_NAME)
        ),
        annotation_keys.SUBJECT_POSTAL_CODES: join_with_csv_escaping(
            subject_values(subject, NameOID.POSTAL_CODE)
        ),
        annotation_keys.SUBJECT_STREET_ADDRESSES: join_with_csv_escaping(
            subject_values(subject, NameOID.STREET_ADDRESS)
        ),
        annotation_keys.SUBJECT_SERIAL_NUMBER: (subject_values(subject, NameOID.SERIAL_NUMBER) or [""])[0],
        annotation_keys.EMAIL_SANS: ",".join(_in_certificate_order(cert, x509.RFC822Name)),
    }
    result = {key: value for key, value in optional.items() if value}
    result[annotation_keys.COMMON_NAME] = common_name_of(subject)
    result[annotation_keys.ALT_NAMES] = ",".join(_in_certificate_order(cert, x509.DNSName))
    result[annotation_keys.IP_SANS] = ",".join(_in_certificate_order(cert, x509.IPAddress))
    result[annotation_keys.URI_SANS] = ",".join(_in_certificate_order(cert, x509.UniformResourceIdentifier))
    return result


def _in_certificate_order(cert: x509.Certificate, name_type: type[x509.GeneralName]) -> list[str]:
    """SAN values of one type in the order the certificate lists them (Go keeps that order)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(value) for value in san.get_values_for_type(name_type)]  # type: ignore[arg-type]
