"""cert-manager's admission rules for Certificate and CertificateRequest specs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from certpilot.api import checks
from certpilot.api.annotations import is_reserved
from certpilot.api.certificate import CertificateKeystores, CertificatePrivateKey, CertificateSpec
from certpilot.api.certificaterequest import CertificateRequestSpec
from certpilot.api.common import IssuerReference
from certpilot.api.defaults import DEFAULT_DURATION
from certpilot.api.duration import InvalidDuration, format_duration, parse_duration
from certpilot.api.enums import PrivateKeyAlgorithm, SignatureAlgorithm
from certpilot.api.field_error import FieldError
from certpilot.api.validate_renewal import renewal_errors

MAX_COMMON_NAME_LENGTH = 64
# dnsNames, ipAddresses, uris, emailAddresses and otherNames together. Public CAs take 100 at most;
# far more makes a CSR and a certificate that TLS stacks and the store carry badly.
MAX_SUBJECT_ALTERNATIVE_NAMES = 1000
MIN_DURATION = timedelta(hours=1)
MIN_RENEW_BEFORE = timedelta(minutes=5)
RSA_SIZES = range(2048, 8193)
ECDSA_SIZES = (256, 384, 521)
SIGNATURE_ALGORITHMS_BY_KEY: dict[PrivateKeyAlgorithm, tuple[SignatureAlgorithm, ...]] = {
    PrivateKeyAlgorithm.RSA: (
        SignatureAlgorithm.SHA256WithRSA,
        SignatureAlgorithm.SHA384WithRSA,
        SignatureAlgorithm.SHA512WithRSA,
    ),
    PrivateKeyAlgorithm.ECDSA: (
        SignatureAlgorithm.ECDSAWithSHA256,
        SignatureAlgorithm.ECDSAWithSHA384,
        SignatureAlgorithm.ECDSAWithSHA512,
    ),
    PrivateKeyAlgorithm.ED25519: (SignatureAlgorithm.PureEd25519,),
}


def issuer_ref_errors(ref: IssuerReference, path: str) -> Iterator[FieldError]:
    if not ref.name:
        yield FieldError(f"{path}.name", "must be set: the name of the Issuer or ClusterIssuer to use")


def certificate_spec_errors(spec: CertificateSpec) -> Iterator[FieldError]:
    yield from _secret_errors(spec)
    yield from issuer_ref_errors(spec.issuer_ref, "spec.issuerRef")
    yield from _identity_errors(spec)
    yield from _san_errors(spec)
    yield from _lifetime_errors(spec)
    yield from _private_key_errors(spec.private_key or CertificatePrivateKey(), spec.signature_algorithm)
    if spec.name_constraints is not None and not spec.is_ca:
        yield FieldError("spec.nameConstraints", "may only be set when spec.isCA is true")
    if spec.revision_history_limit is not None and spec.revision_history_limit < 1:
        yield FieldError("spec.revisionHistoryLimit", f"must be 1 or more, got {spec.revision_history_limit}")
    if spec.keystores is not None:
        yield from _keystore_errors(spec.keystores)
    if spec.renewal is not None:
        yield from renewal_errors(spec.renewal)
    formats = [f.type for f in spec.additional_output_formats or ()]
    if len(set(formats)) != len(formats):
        yield FieldError("spec.additionalOutputFormats", "each output format type may appear only once")


def certificate_request_spec_errors(spec: CertificateRequestSpec) -> Iterator[FieldError]:
    yield from issuer_ref_errors(spec.issuer_ref, "spec.issuerRef")
    problem = checks.pem_csr_problem(spec.request)
    if problem:
        yield FieldError("spec.request", problem)
    if spec.duration is not None:
        yield from _duration_errors(spec.duration, "spec.duration")


def _secret_errors(spec: CertificateSpec) -> Iterator[FieldError]:
    problem = checks.dns1123_subdomain_problem(spec.secret_name)
    if problem:
        yield FieldError("spec.secretName", problem)
    annotations = spec.secret_template.annotations if spec.secret_template else None
    for key in annotations or {}:
        if is_reserved(key):
            yield FieldError(
                f"spec.secretTemplate.annotations[{key}]",
                "annotations with the prefix cert-manager.io/ are set by certpilot and may not be templated",
            )


def _identity_errors(spec: CertificateSpec) -> Iterator[FieldError]:
    literal_common_names: list[str] = []
    if spec.literal_subject is not None:
        parsed = checks.rfc4514_common_names(spec.literal_subject)
        if parsed is None:
            yield FieldError(
                "spec.literalSubject", "is not an RFC 4514 subject, e.g. 'CN=app,O=Example,C=GB'"
            )
        literal_common_names = parsed or []
        if spec.common_name is not None:
            yield FieldError("spec.commonName", "may not be set together with spec.literalSubject")
        if spec.subject is not None:
            yield FieldError("spec.subject", "may not be set together with spec.literalSubject")
    has_identity = bool(
        spec.common_name
        or literal_common_names
        or spec.dns_names
        or spec.ip_addresses
        or spec.uris
        or spec.email_addresses
        or spec.other_names
    )
    if not has_identity:
        yield FieldError(
            "spec",
            "at least one of commonName (or a CN in literalSubject), dnsNames, ipAddresses, uris, "
            "emailAddresses or otherNames must be set",
        )
    if spec.common_name is not None and len(spec.common_name) > MAX_COMMON_NAME_LENGTH:
        yield FieldError(
            "spec.commonName",
            f"is {len(spec.common_name)} characters long; at most {MAX_COMMON_NAME_LENGTH} are allowed "
            "(put long names in spec.dnsNames)",
        )


def _san_errors(spec: CertificateSpec) -> Iterator[FieldError]:
    counts = {
        "spec.dnsNames": len(spec.dns_names or ()),
        "spec.ipAddresses": len(spec.ip_addresses or ()),
        "spec.uris": len(spec.uris or ()),
        "spec.emailAddresses": len(spec.email_addresses or ()),
        "spec.otherNames": len(spec.other_names or ()),
    }
    total = sum(counts.values())
    if total > MAX_SUBJECT_ALTERNATIVE_NAMES:
        longest = max(counts, key=counts.__getitem__)
        yield FieldError(
            longest,
            f"{total} subject alternative names in all; at most {MAX_SUBJECT_ALTERNATIVE_NAMES} are allowed "
            "(MAX_SUBJECT_ALTERNATIVE_NAMES)",
        )
        return
    for index, ip in enumerate(spec.ip_addresses or ()):
        problem = checks.ip_address_problem(ip)
        if problem:
            yield FieldError(f"spec.ipAddresses[{index}]", problem)
    for index, email in enumerate(spec.email_addresses or ()):
        problem = checks.email_problem(email)
        if problem:
            yield FieldError(f"spec.emailAddresses[{index}]", problem)
    for index, uri in enumerate(spec.uris or ()):
        problem = checks.absolute_uri_problem(uri)
        if problem:
            yield FieldError(f"spec.uris[{index}]", problem)
    for index, name in enumerate(spec.dns_names or ()):
        if not name or any(c.isspace() for c in name):
            yield FieldError(f"spec.dnsNames[{index}]", f"{name!r} is not a DNS name")
    for index, other in enumerate(spec.other_names or ()):
        problem = checks.oid_problem(other.oid or "")
        if problem:
            yield FieldError(f"spec.otherNames[{index}].oid", problem)
        if not other.utf8_value:
            yield FieldError(f"spec.otherNames[{index}].utf8Value", "must be set")


def _duration_errors(text: str, path: str) -> Iterator[FieldError]:
    try:
        value = parse_duration(text)
    except InvalidDuration as error:
        yield FieldError(path, str(error))
        return
    if value < MIN_DURATION:
        yield FieldError(path, f"{text!r} is too short: the minimum is 1h")


def _lifetime_errors(spec: CertificateSpec) -> Iterator[FieldError]:
    duration = DEFAULT_DURATION
    if spec.duration is not None:
        duration_errors = list(_duration_errors(spec.duration, "spec.duration"))
        yield from duration_errors
        if duration_errors:
            return
        duration = parse_duration(spec.duration)
    if spec.renew_before is not None:
        if spec.renew_before_percentage is not None:
            yield FieldError(
                "spec.renewBeforePercentage", "may not be set together with spec.renewBefore; pick one"
            )
        try:
            renew_before = parse_duration(spec.renew_before)
        except InvalidDuration as error:
            yield FieldError("spec.renewBefore", str(error))
            return
        if renew_before < MIN_RENEW_BEFORE:
            yield FieldError("spec.renewBefore", f"{spec.renew_before!r} is too short: the minimum is 5m")
        if renew_before >= duration:
            yield FieldError(
                "spec.renewBefore",
                f"{spec.renew_before!r} must be less than the certificate duration "
                f"({spec.duration or format_duration(DEFAULT_DURATION)})",
            )
    percentage = spec.renew_before_percentage
    if percentage is not None and not 0 < percentage < 100:
        yield FieldError("spec.renewBeforePercentage", f"must be between 1 and 99, got {percentage}")


def _private_key_errors(
    key: CertificatePrivateKey, signature_algorithm: SignatureAlgorithm | None
) -> Iterator[FieldError]:
    algorithm = key.algorithm or PrivateKeyAlgorithm.RSA
    size = key.size
    if size is not None and size != 0:
        if algorithm is PrivateKeyAlgorithm.RSA and size not in RSA_SIZES:
            yield FieldError("spec.privateKey.size", f"RSA key size must be 2048 to 8192 bits, got {size}")
        if algorithm is PrivateKeyAlgorithm.ECDSA and size not in ECDSA_SIZES:
            yield FieldError("spec.privateKey.size", f"ECDSA key size must be 256, 384 or 521, got {size}")
        if algorithm is PrivateKeyAlgorithm.ED25519:
            yield FieldError("spec.privateKey.size", "must not be set for Ed25519 keys, whose size is fixed")
    allowed = SIGNATURE_ALGORITHMS_BY_KEY[algorithm]
    if signature_algorithm is not None and signature_algorithm not in allowed:
        yield FieldError(
            "spec.signatureAlgorithm",
            f"{signature_algorithm} cannot sign with a {algorithm} key; allowed: {', '.join(allowed)}",
        )


def _keystore_errors(keystores: CertificateKeystores) -> Iterator[FieldError]:
    for name, store in (("jks", keystores.jks), ("pkcs12", keystores.pkcs12)):
        if store is None or not store.create:
            continue
        if (store.password_secret_ref is None) == (store.password is None):
            yield FieldError(
                f"spec.keystores.{name}",
                "exactly one of passwordSecretRef and password must be set when create is true",
            )
