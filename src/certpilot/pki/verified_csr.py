"""A CSR whose self-signature verified and whose public key certpilot issues for: what a signer
may sign.

Verifying the signature is the costly part of looking at a CSR (~150 µs for ECDSA P-256, more for
RSA), so code that has verified a CSR hands this proof on instead of verifying it again. A CSR this
process signed itself (build_csr, with a private key it held) is valid by construction: its PEM is
remembered by digest, and the same bytes are not verified again, as checked_rsa_keys does for keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from certpilot.api.unparsed_parts import X509_LOAD_ERRORS, unparsed_part
from certpilot.pki.checked_rsa_keys import CheckedPems
from certpilot.pki.errors import InvalidCSRError, InvalidPEMError
from certpilot.pki.keys import PublicKey, supported_public_key

MESSAGE_INVALID_SIGNATURE = "the CSR's signature is invalid: it was not signed by the key it contains"

# The CSRs of the requests in flight: the signer looks at a request soon after it is built.
CSRS_SIGNED_HERE_CAPACITY = 4096


@dataclass(frozen=True, eq=False)
class VerifiedCsr:
    """Made by verify_csr and load_verified_csr only: holding one means the CSR's signature is
    known valid and its key supported."""

    csr: x509.CertificateSigningRequest
    public_key: PublicKey


def verify_csr(csr: x509.CertificateSigningRequest) -> VerifiedCsr:
    """Raises InvalidCSRError when the CSR was not signed by the key it contains, and
    UnsupportedKeyError (checked first) when certpilot does not issue for that key."""
    public_key = supported_public_key(csr.public_key())
    if not csr.is_signature_valid:
        raise InvalidCSRError(MESSAGE_INVALID_SIGNATURE)
    return VerifiedCsr(csr, public_key)


def load_verified_csr(pem: bytes) -> VerifiedCsr:
    """The CSR in pem, verified (unless these very bytes were signed here). Raises InvalidPEMError
    when pem is not one PEM CSR or a part of it does not parse, then as verify_csr."""
    try:
        csr = x509.load_pem_x509_csr(pem)
    except X509_LOAD_ERRORS:
        raise InvalidPEMError("not a PEM certificate signing request") from None
    part = unparsed_part(csr)
    if part is not None:
        raise InvalidPEMError(f"the {part} of the certificate signing request does not parse")
    if CSRS_SIGNED_HERE.was_checked(pem):
        return VerifiedCsr(csr, supported_public_key(csr.public_key()))
    return verify_csr(csr)


CSRS_SIGNED_HERE = CheckedPems(CSRS_SIGNED_HERE_CAPACITY)
