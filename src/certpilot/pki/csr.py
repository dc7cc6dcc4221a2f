"""The CSR a Certificate asks for, and whether an existing CSR still matches the spec."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from certpilot.api import defaults
from certpilot.api.certificate import CertificateSpec
from certpilot.api.unparsed_parts import X509_LOAD_ERRORS
from certpilot.pki.errors import InvalidCSRError
from certpilot.pki.keys import PrivateKey, supported_public_key
from certpilot.pki.match import (
    exact_usage_mismatch,
    is_ca_mismatch,
    key_mismatch,
    name_constraints_mismatch,
    san_mismatches,
    subject_mismatches,
)
from certpilot.pki.nameconstraints import name_constraints_for
from certpilot.pki.sans import general_names_for, sans_for, sans_in
from certpilot.pki.signature import signature_hash_for, signature_hash_name
from certpilot.pki.subject import subject_for
from certpilot.pki.usages import usages_for, usages_in
from certpilot.pki.verified_csr import CSRS_SIGNED_HERE


def build_csr(spec: CertificateSpec, key: PrivateKey) -> x509.CertificateSigningRequest:
    """A CSR signed by key carrying the subject, SANs, basicConstraints (CA only), key usages
    (unless encodeUsagesInRequest is false) and nameConstraints the spec asks for."""
    subject = subject_for(spec)
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject)
    general_names = general_names_for(spec)
    if general_names:
        # RFC 5280 4.2.1.6: SANs must be critical when the subject is empty.
        builder = builder.add_extension(
            x509.SubjectAlternativeName(general_names), critical=not list(subject)
        )
    if spec.is_ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    if defaults.encode_usages_in_request(spec):
        usages = usages_for(spec.usages, bool(spec.is_ca))
        key_usage = usages.key_usage_extension()
        extended_key_usage = usages.extended_key_usage_extension()
        if key_usage:
            builder = builder.add_extension(key_usage, critical=True)
        if extended_key_usage:
            builder = builder.add_extension(extended_key_usage, critical=False)
    name_constraints = name_constraints_for(spec.name_constraints)
    if name_constraints:
        builder = builder.add_extension(name_constraints.value, critical=name_constraints.critical)
    csr = builder.sign(key, signature_hash_for(key, spec.signature_algorithm))
    CSRS_SIGNED_HERE.remember(csr_to_pem(csr))
    return csr


def csr_to_pem(csr: x509.CertificateSigningRequest) -> bytes:
    return csr.public_bytes(serialization.Encoding.PEM)


def csr_from_pem(pem: bytes) -> x509.CertificateSigningRequest:
    """Parse a PEM CSR; the signature is checked by sign_certificate."""
    try:
        csr = x509.load_pem_x509_csr(pem)
    except X509_LOAD_ERRORS:
        raise InvalidCSRError(
            "the request is not a PEM certificate signing request (expected one "
            "'-----BEGIN CERTIFICATE REQUEST-----' block)"
        ) from None
    supported_public_key(csr.public_key())
    return csr


def csr_matches_spec(csr: x509.CertificateSigningRequest, spec: CertificateSpec) -> list[str]:
    """Why a CSR no longer matches the spec (empty when it does): a changed request means the
    Certificate needs a new CertificateRequest."""
    public_key = supported_public_key(csr.public_key())
    checks = [
        *subject_mismatches(csr.subject, spec),
        *san_mismatches(sans_in(csr.extensions), sans_for(spec)),
        is_ca_mismatch(csr.extensions, spec),
        key_mismatch(public_key, spec),
        name_constraints_mismatch(csr.extensions, spec),
    ]
    if defaults.encode_usages_in_request(spec):
        checks.append(
            exact_usage_mismatch(usages_in(csr.extensions), usages_for(spec.usages, bool(spec.is_ca)))
        )
    checks.append(signature_algorithm_mismatch(csr, spec))
    return [mismatch for mismatch in checks if mismatch]


def signature_algorithm_mismatch(csr: x509.CertificateSigningRequest, spec: CertificateSpec) -> str | None:
    """Only checked when the spec names an algorithm; otherwise the key's default applies."""
    if spec.signature_algorithm is None:
        return None
    wanted = signature_hash_name(spec.signature_algorithm)
    actual = csr.signature_hash_algorithm.name if csr.signature_hash_algorithm else None
    if wanted == actual:
        return None
    return f"signatureAlgorithm: has {actual or 'PureEd25519'}, spec wants {spec.signature_algorithm.value}"
