"""Does a CertificateRequest still ask for what its Certificate specifies?"""

from __future__ import annotations

from cryptography import x509

from certpilot.api import defaults
from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.duration import parse_duration
from certpilot.controllers.certificates.issuer_ref import issuer_refs_equal
from certpilot.pki.csr import csr_matches_spec


def request_mismatches(request: CertificateRequest, certificate: Certificate) -> list[str]:
    """The fields (cert-manager's spec paths) on which request differs from certificate's spec;
    empty when it still matches."""
    spec, rspec = certificate.spec, request.spec
    try:
        csr = x509.load_pem_x509_csr(rspec.csr_pem())
    except ValueError:
        return ["spec.request"]
    mismatches = list(csr_matches_spec(csr, spec))
    requested = parse_duration(rspec.duration) if rspec.duration else None
    if requested != defaults.duration(spec):
        mismatches.append("spec.duration")
    if bool(rspec.is_ca) != bool(spec.is_ca):
        mismatches.append("spec.isCA")
    if set(rspec.usages or ()) != set(defaults.usages(spec)):
        mismatches.append("spec.usages")
    if not issuer_refs_equal(rspec.issuer_ref, spec.issuer_ref):
        mismatches.append("spec.issuerRef")
    return mismatches
