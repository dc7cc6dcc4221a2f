"""Checking a chain an issuer returned before it is stored: it must be for the request's key."""

from __future__ import annotations

import itertools

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from certpilot.api.unparsed_parts import X509_LOAD_ERRORS
from certpilot.pki.errors import UnsupportedKeyError
from certpilot.pki.keys import PublicKey, public_keys_equal, supported_public_key


def chain_problem(chain_pem: bytes, requested_key: PublicKey) -> str | None:
    """Why this PEM chain cannot be the answer to a CSR for requested_key (the verified CSR's
    public key), or None when it can."""
    try:
        chain = x509.load_pem_x509_certificates(chain_pem)
    except X509_LOAD_ERRORS:
        return "the issuer returned a certificate chain that is not PEM certificates"
    leaf = chain[0]
    try:
        matches = public_keys_equal(supported_public_key(leaf.public_key()), requested_key)
    except UnsupportedKeyError as e:
        return f"the issued certificate cannot be checked: {e}"
    if not matches:
        return "the issuer returned a certificate whose public key does not match the CSR"
    for child, parent in itertools.pairwise(chain):
        try:
            child.verify_directly_issued_by(parent)
        except (ValueError, TypeError, InvalidSignature):
            return (
                f'the issuer returned a chain out of order: "{child.subject.rfc4514_string()}" '
                f'is not signed by "{parent.subject.rfc4514_string()}"'
            )
    return None
