"""cert-manager's defaults for fields the user left unset.

Stored objects keep exactly what the user wrote; code reads effective values through these
functions, so a default lives in one place.
"""

from __future__ import annotations

from datetime import timedelta

from certpilot.api.certificate import CertificatePrivateKey, CertificateSpec
from certpilot.api.common import IssuerReference
from certpilot.api.duration import parse_duration
from certpilot.api.enums import KeyUsage, PrivateKeyAlgorithm, PrivateKeyEncoding, RotationPolicy

DEFAULT_NAMESPACE = "default"
DEFAULT_ISSUER_KIND = "Issuer"
DEFAULT_ISSUER_GROUP = "cert-manager.io"
DEFAULT_DURATION = timedelta(hours=2160)
DEFAULT_REVISION_HISTORY_LIMIT = 1
DEFAULT_USAGES: tuple[KeyUsage, ...] = (KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_ENCIPHERMENT)
DEFAULT_KEY_SIZES: dict[PrivateKeyAlgorithm, int | None] = {
    PrivateKeyAlgorithm.RSA: 2048,
    PrivateKeyAlgorithm.ECDSA: 256,
    PrivateKeyAlgorithm.ED25519: None,
}


def issuer_kind(ref: IssuerReference) -> str:
    return ref.kind or DEFAULT_ISSUER_KIND


def issuer_group(ref: IssuerReference) -> str:
    return ref.group or DEFAULT_ISSUER_GROUP


def namespace_of(namespace: str | None) -> str:
    return namespace or DEFAULT_NAMESPACE


def private_key_algorithm(key: CertificatePrivateKey | None) -> PrivateKeyAlgorithm:
    return key.algorithm if key is not None and key.algorithm is not None else PrivateKeyAlgorithm.RSA


def private_key_size(key: CertificatePrivateKey | None) -> int | None:
    """Bits for RSA, curve size for ECDSA; None for Ed25519, whose size is fixed."""
    algorithm = private_key_algorithm(key)
    if algorithm is PrivateKeyAlgorithm.ED25519:
        return None
    if key is not None and key.size:
        return key.size
    return DEFAULT_KEY_SIZES[algorithm]


def private_key_encoding(key: CertificatePrivateKey | None) -> PrivateKeyEncoding:
    return key.encoding if key is not None and key.encoding is not None else PrivateKeyEncoding.PKCS1


def rotation_policy(key: CertificatePrivateKey | None) -> RotationPolicy:
    """Always since cert-manager v1.18: a reissue gets a fresh private key unless the user opts out."""
    if key is not None and key.rotation_policy is not None:
        return key.rotation_policy
    return RotationPolicy.ALWAYS


def usages(spec: CertificateSpec) -> list[KeyUsage]:
    return list(spec.usages) if spec.usages else list(DEFAULT_USAGES)


def duration(spec: CertificateSpec) -> timedelta:
    return parse_duration(spec.duration) if spec.duration else DEFAULT_DURATION


def renew_before(spec: CertificateSpec) -> timedelta | None:
    """The user's renewBefore; None means "derive it" (percentage or the 2/3 rule, by the controller)."""
    return parse_duration(spec.renew_before) if spec.renew_before else None


def revision_history_limit(spec: CertificateSpec) -> int:
    if spec.revision_history_limit is None:
        return DEFAULT_REVISION_HISTORY_LIMIT
    return spec.revision_history_limit


def encode_usages_in_request(spec: CertificateSpec) -> bool:
    return True if spec.encode_usages_in_request is None else spec.encode_usages_in_request


def is_ca(spec: CertificateSpec) -> bool:
    return bool(spec.is_ca)
