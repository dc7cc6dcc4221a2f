"""Whether a leaf was signed by its CA issuer's current CA certificate (cert-manager #9076: a CA
whose key or certificate changed leaves its old leaves behind until they renew)."""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature


def signed_by(leaf: x509.Certificate, ca: x509.Certificate) -> bool:
    """The leaf names `ca`'s subject as issuer and `ca`'s key signed it. A CA certificate renewed
    with the same key and subject still signs its old leaves: they stay valid and are kept.

    The key is compared by identifier when both certificates carry one (the leaf's authority key
    identifier against the CA's subject key identifier, as path building does): on a restart every
    CA-issued Certificate asks this, and a signature check for each cost seconds. Without them, the
    signature is verified."""
    if leaf.issuer != ca.subject:
        return False
    authority, subject = _authority_key_id(leaf), _subject_key_id(ca)
    if authority is not None and subject is not None:
        return authority == subject
    try:
        leaf.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _authority_key_id(cert: x509.Certificate) -> bytes | None:
    try:
        return cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    except (x509.ExtensionNotFound, ValueError):
        return None


def _subject_key_id(cert: x509.Certificate) -> bytes | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except (x509.ExtensionNotFound, ValueError):
        return None
