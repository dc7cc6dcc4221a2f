"""Does a CertificateRequest still ask for what its Certificate specifies? (Remembered per
(request, spec) version: memos.py; comparing a CSR with a spec is costly.)"""

from __future__ import annotations

from cryptography import x509

from certpilot.api import defaults
from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.duration import parse_duration
from certpilot.api.unparsed_parts import X509_LOAD_ERRORS
from certpilot.controllers.certificates.policies.issuer_fallback import is_one_of_the_issuers
from certpilot.controllers.certificates.policies.issuer_ref import issuer_refs_equal
from certpilot.pki.csr import csr_matches_spec


def asks_the_same(a: CertificateRequest, b: CertificateRequest) -> bool:
    """Whether two requests agree on every field compare_request_with_spec reads."""
    x, y = a.spec, b.spec
    return (
        x.request == y.request
        and x.duration == y.duration
        and bool(x.is_ca) == bool(y.is_ca)
        and x.usages == y.usages
        and issuer_refs_equal(x.issuer_ref, y.issuer_ref)
    )


def compare_request_with_spec(request: CertificateRequest, certificate: Certificate) -> list[str]:
    spec, rspec = certificate.spec, request.spec
    try:
        csr = x509.load_pem_x509_csr(rspec.csr_pem())
    except X509_LOAD_ERRORS:
        return ["spec.request"]
    mismatches = list(csr_matches_spec(csr, spec))
    requested = parse_duration(rspec.duration) if rspec.duration else None
    if requested != defaults.duration(spec):
        mismatches.append("spec.duration")
    if bool(rspec.is_ca) != bool(spec.is_ca):
        mismatches.append("spec.isCA")
    if set(rspec.usages or ()) != set(defaults.usages(spec)):
        mismatches.append("spec.usages")
    if not is_one_of_the_issuers(certificate, rspec.issuer_ref):
        mismatches.append("spec.issuerRef")
    return mismatches
