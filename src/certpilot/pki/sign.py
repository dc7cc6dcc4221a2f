"""Sign a CSR as a self-signed certificate or with a CA key: used by the SelfSigned and CA issuers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID

from certpilot.api.enums import KeyUsage
from certpilot.pki.errors import InvalidCSRError, SigningError
from certpilot.pki.keys import PrivateKey, public_key_matches, public_keys_equal
from certpilot.pki.match import is_ca_in
from certpilot.pki.serial_numbers import SERIAL_NUMBERS
from certpilot.pki.signature import signature_hash_for
from certpilot.pki.usages import Usages, usages_for, usages_in
from certpilot.pki.verified_csr import VerifiedCsr, verify_csr


def random_serial_number() -> int:
    """A random positive serial of up to 128 bits (RFC 5280 allows 20 octets)."""
    return SERIAL_NUMBERS.next()


def not_after_for(now: datetime, duration: timedelta, issuer_cert: x509.Certificate | None) -> datetime:
    """now + duration, but never past the issuer's own expiry."""
    wanted = now + duration
    if issuer_cert is None:
        return wanted
    return min(wanted, issuer_cert.not_valid_after_utc)


def _has_extension(csr: x509.CertificateSigningRequest, extension_type: type[x509.ExtensionType]) -> bool:
    return any(isinstance(extension.value, extension_type) for extension in csr.extensions)


def csr_contradiction(csr: x509.CertificateSigningRequest, is_ca: bool, usages: Usages) -> str | None:
    """What in the CSR contradicts the request's isCA / usages (cert-manager refuses these too)."""
    if _has_extension(csr, x509.BasicConstraints) and is_ca_in(csr.extensions) != is_ca:
        return f"the CSR asks for isCA={is_ca_in(csr.extensions)} but the request says isCA={is_ca}"
    encoded = usages_in(csr.extensions)
    has_usages = _has_extension(csr, x509.KeyUsage) or _has_extension(csr, x509.ExtendedKeyUsage)
    if has_usages and encoded != usages:
        return f"the CSR encodes usages [{encoded.describe()}] but the request asks for [{usages.describe()}]"
    return None


def _authority_key_identifier(
    issuer_cert: x509.Certificate | None, issuer_key: PrivateKey
) -> x509.AuthorityKeyIdentifier:
    if issuer_cert is not None:
        try:
            ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
        except x509.ExtensionNotFound:
            pass
    return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key())


def _copied_extensions(
    csr: x509.CertificateSigningRequest, subject_is_empty: bool
) -> list[x509.Extension[x509.ExtensionType]]:
    """SANs and name constraints come from the CSR; everything else is decided by the signer."""
    copied: list[x509.Extension[x509.ExtensionType]] = []
    for extension in csr.extensions:
        if isinstance(extension.value, x509.SubjectAlternativeName):
            copied.append(x509.Extension(extension.oid, subject_is_empty, extension.value))
        elif isinstance(extension.value, x509.NameConstraints):
            copied.append(extension)
    return copied


def sign_certificate(
    request: x509.CertificateSigningRequest | VerifiedCsr,
    *,
    issuer_cert: x509.Certificate | None,
    issuer_key: PrivateKey,
    duration: timedelta,
    is_ca: bool,
    usages: Sequence[KeyUsage | str] | None,
    now: datetime,
    crl_distribution_points: Sequence[str] = (),
    ocsp_servers: Sequence[str] = (),
    issuing_certificate_urls: Sequence[str] = (),
) -> x509.Certificate:
    """Issue the certificate a CSR asks for. issuer_cert None means self-signed: issuer_key must
    then be the CSR's own key. A VerifiedCsr is not verified again. Raises InvalidCSRError for a
    CSR that is forged or contradicts the request, UnsupportedKeyError for a key certpilot does not
    issue for, SigningError when the issuer cannot sign."""
    verified = request if isinstance(request, VerifiedCsr) else verify_csr(request)
    csr, public_key = verified.csr, verified.public_key
    wanted_usages = usages_for(usages, is_ca)
    contradiction = csr_contradiction(csr, is_ca, wanted_usages)
    if contradiction:
        raise InvalidCSRError(f"{contradiction}: make the CSR and the request agree")
    if issuer_cert is None:
        if not public_keys_equal(public_key, issuer_key):
            raise SigningError("a self-signed certificate must be signed by the CSR's own private key")
        issuer_name = csr.subject
    else:
        if not public_key_matches(issuer_cert, issuer_key):
            raise SigningError("the CA private key does not match the CA certificate: fix the CA Secret")
        if not is_ca_in(issuer_cert.extensions):
            raise SigningError(
                "the CA certificate is not a CA (basicConstraints CA:FALSE): use a CA certificate"
            )
        issuer_name = issuer_cert.subject
    not_after = not_after_for(now, duration, issuer_cert)
    if not_after <= now:
        raise SigningError("the CA certificate has expired: renew the CA before signing")

    builder = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(random_serial_number())
        .not_valid_before(now)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(_authority_key_identifier(issuer_cert, issuer_key), critical=False)
    )
    for extension in _copied_extensions(csr, subject_is_empty=not list(csr.subject)):
        builder = builder.add_extension(extension.value, critical=extension.critical)
    key_usage = wanted_usages.key_usage_extension()
    if key_usage:
        builder = builder.add_extension(key_usage, critical=True)
    extended_key_usage = wanted_usages.extended_key_usage_extension()
    if extended_key_usage:
        builder = builder.add_extension(extended_key_usage, critical=False)
    if crl_distribution_points:
        points = [
            x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)
            for url in crl_distribution_points
        ]
        builder = builder.add_extension(x509.CRLDistributionPoints(points), critical=False)
    access = [
        x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(url))
        for url in ocsp_servers
    ] + [
        x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(url))
        for url in issuing_certificate_urls
    ]
    if access:
        builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
    return builder.sign(issuer_key, signature_hash_for(issuer_key))
