"""Whether a leaf was signed by its CA issuer's current CA certificate (cert-manager #9076: a CA
whose key or certificate changed leaves its old leaves behind until they renew)."""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature


def signed_by(leaf: x509.Certificate, ca: x509.Certificate) -> bool:
    """The leaf names `ca`'s subject as issuer and `ca`'s key signed it. A CA certificate renewed
    with the same key and subject still signs its old leaves: they stay valid and are kept."""
    try:
        leaf.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True
