"""Was a CertificateRequest's CSR made for the next private key? (Remembered per version of the
request's spec and of the key's Secret: memos.py. A request this process built from that very key
is recorded as made for it when stored, so its CSR is never parsed back for this.)"""

from __future__ import annotations

from cryptography import x509

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.unparsed_parts import X509_LOAD_ERRORS
from certpilot.pki.keys import PrivateKey, public_key_matches

UNPARSEABLE = "its CSR cannot be parsed"
OTHER_KEY = "it was made for a different private key"


def csr_key_problem(request: CertificateRequest, key: PrivateKey) -> str | None:
    """Why request's CSR is not one for `key`, or None when it is."""
    try:
        csr = x509.load_pem_x509_csr(request.spec.csr_pem())
    except X509_LOAD_ERRORS:
        return UNPARSEABLE
    return None if public_key_matches(csr, key) else OTHER_KEY
