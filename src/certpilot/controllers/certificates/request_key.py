"""Was a CertificateRequest's CSR made for the next private key?

The answer is remembered per version of the request's spec (uid + generation) and of the Secret
holding the key (uid + resourceVersion): the request manager asks on every reconcile while
Issuing, and answering parses the CSR. A request this process built from that very key is
recorded as made for it when stored, so its CSR is never parsed back for this.
"""

from __future__ import annotations

from cryptography import x509

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.core import Secret
from certpilot.api.unparsed_parts import X509_LOAD_ERRORS
from certpilot.controllers.certificates.version_memo import MEMO_CAPACITY
from certpilot.pki.keys import PrivateKey, public_key_matches
from certpilot.runtime.bounded_memo import BoundedMemo
from certpilot.runtime.object_versions import VersionKey, joined, spec_version, stored_version

UNPARSEABLE = "its CSR cannot be parsed"
OTHER_KEY = "it was made for a different private key"

_why_not_made_for: BoundedMemo[str | None] = BoundedMemo(MEMO_CAPACITY)


def request_and_key_versions(request: CertificateRequest, key_secret: Secret | None) -> VersionKey | None:
    """None when either was never stored (or the key's Secret is not known)."""
    return joined(spec_version(request), stored_version(key_secret))


def csr_key_problem(request: CertificateRequest, key: PrivateKey) -> str | None:
    """Why request's CSR is not one for `key`, or None when it is."""
    try:
        csr = x509.load_pem_x509_csr(request.spec.csr_pem())
    except X509_LOAD_ERRORS:
        return UNPARSEABLE
    return None if public_key_matches(csr, key) else OTHER_KEY


def why_not_made_for(request: CertificateRequest, key: PrivateKey, key_secret: Secret | None) -> str | None:
    """csr_key_problem, once per version of the request and of `key_secret` (key's Secret)."""
    return _why_not_made_for.get_or_compute(
        request_and_key_versions(request, key_secret), lambda: csr_key_problem(request, key)
    )


def remember_made_for(stored: CertificateRequest, built: CertificateRequest, key_secret: Secret) -> None:
    """Records that `stored` was made for the key of `key_secret` when it carries the CSR of
    `built`, which build_request signed with that key."""
    if stored.spec.request == built.spec.request:
        _why_not_made_for.put(request_and_key_versions(stored, key_secret), None)
