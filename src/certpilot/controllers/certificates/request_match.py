"""Does a CertificateRequest still ask for what its Certificate specifies?

The answer is remembered per (request, spec) version: readiness and trigger ask it on every
reconcile about the same current request, and comparing a CSR with a spec is costly.
"""

from __future__ import annotations

from cryptography import x509

from certpilot.api import defaults
from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.duration import parse_duration
from certpilot.api.unparsed_parts import X509_LOAD_ERRORS
from certpilot.controllers.certificates.issuer_ref import issuer_refs_equal
from certpilot.controllers.certificates.version_memo import MEMO_CAPACITY
from certpilot.pki.csr import csr_matches_spec
from certpilot.runtime.bounded_memo import BoundedMemo
from certpilot.runtime.object_versions import VersionKey, joined, spec_version

_mismatches: BoundedMemo[tuple[str, ...]] = BoundedMemo(MEMO_CAPACITY)


def spec_versions(request: CertificateRequest, certificate: Certificate) -> VersionKey | None:
    """The versions of both specs; None for objects never stored."""
    return joined(spec_version(request), spec_version(certificate))


def request_mismatches(request: CertificateRequest, certificate: Certificate) -> list[str]:
    """The fields (cert-manager's spec paths) on which request differs from certificate's spec;
    empty when it still matches."""
    return list(
        _mismatches.get_or_compute(
            spec_versions(request, certificate),
            lambda: tuple(compare_request_with_spec(request, certificate)),
        )
    )


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


def remember_built_request(
    stored: CertificateRequest, built: CertificateRequest, certificate: Certificate
) -> None:
    """Records that `stored` matches `certificate`'s spec when it asks what `built` does, `built`
    being build_request's answer for that very spec version: comparing a request with the spec it
    was just built from (parsing its CSR back) finds nothing by construction."""
    if asks_the_same(stored, built):
        _mismatches.put(spec_versions(stored, certificate), ())


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
    if not issuer_refs_equal(rspec.issuer_ref, spec.issuer_ref):
        mismatches.append("spec.issuerRef")
    return mismatches
