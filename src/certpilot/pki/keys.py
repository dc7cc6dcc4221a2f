"""Private keys: generate for a Certificate's privateKey spec, encode, parse, and compare."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from certpilot.api import defaults
from certpilot.api.certificate import CertificatePrivateKey
from certpilot.api.enums import PrivateKeyAlgorithm, PrivateKeyEncoding
from certpilot.pki.checked_rsa_keys import CHECKED_RSA_PEMS
from certpilot.pki.errors import InvalidPrivateKeyError, UnsupportedKeyError

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

RSA_MIN_SIZE = 2048
RSA_MAX_SIZE = 8192
ECDSA_CURVES: dict[int, ec.EllipticCurve] = {256: ec.SECP256R1(), 384: ec.SECP384R1(), 521: ec.SECP521R1()}
_ECDSA_CURVE_NAMES = frozenset(curve.name for curve in ECDSA_CURVES.values())
# Go's RSA public exponent, which every other tool expects too.
RSA_PUBLIC_EXPONENT = 65537


@dataclass(frozen=True)
class KeySpec:
    """A resolved key request: size is bits for RSA, the curve size for ECDSA, None for Ed25519."""

    algorithm: PrivateKeyAlgorithm
    size: int | None

    def __str__(self) -> str:
        return self.algorithm.value if self.size is None else f"{self.algorithm.value} {self.size}"


def key_spec_for(private_key: CertificatePrivateKey | None) -> KeySpec:
    """The key a Certificate asks for, with cert-manager's defaults (RSA 2048, ECDSA P-256).

    Raises UnsupportedKeyError for sizes cert-manager refuses too."""
    algorithm = defaults.private_key_algorithm(private_key)
    size = defaults.private_key_size(private_key)
    if algorithm == PrivateKeyAlgorithm.ED25519:
        return KeySpec(algorithm, None)
    if algorithm == PrivateKeyAlgorithm.ECDSA:
        if size not in ECDSA_CURVES:
            raise UnsupportedKeyError(f"ECDSA key size {size} is not supported: use 256, 384 or 521")
        return KeySpec(algorithm, size)
    if size is None or not RSA_MIN_SIZE <= size <= RSA_MAX_SIZE:
        raise UnsupportedKeyError(
            f"RSA key size {size} is not supported: use a size from {RSA_MIN_SIZE} to {RSA_MAX_SIZE}"
        )
    return KeySpec(PrivateKeyAlgorithm.RSA, size)


def generate_private_key(spec: KeySpec) -> PrivateKey:
    """A new private key. RSA generation is slow: call it off the event loop."""
    if spec.algorithm == PrivateKeyAlgorithm.ED25519:
        return ed25519.Ed25519PrivateKey.generate()
    if spec.algorithm == PrivateKeyAlgorithm.ECDSA:
        return ec.generate_private_key(ECDSA_CURVES[spec.size or 0])
    return rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=spec.size or 0)


def private_key_format(key: PrivateKey, encoding: PrivateKeyEncoding | None) -> serialization.PrivateFormat:
    """PKCS1 means "RSA PRIVATE KEY" for RSA and SEC1 "EC PRIVATE KEY" for ECDSA, as in cert-manager;
    Ed25519 has no such form, so it is always PKCS8."""
    if encoding == PrivateKeyEncoding.PKCS8 or isinstance(key, ed25519.Ed25519PrivateKey):
        return serialization.PrivateFormat.PKCS8
    return serialization.PrivateFormat.TraditionalOpenSSL


def encode_private_key(key: PrivateKey, encoding: PrivateKeyEncoding | None = None) -> bytes:
    """PEM of the key; encoding None means cert-manager's default, PKCS1."""
    pem = key.private_bytes(
        serialization.Encoding.PEM, private_key_format(key, encoding), serialization.NoEncryption()
    )
    if isinstance(key, rsa.RSAPrivateKey):
        # A key object is valid by construction (generated, or parsed with the full check).
        CHECKED_RSA_PEMS.remember(pem)
    return pem


def encode_private_key_der(key: PrivateKey, encoding: PrivateKeyEncoding | None = None) -> bytes:
    """DER of the key in the same format encode_private_key writes as PEM."""
    return key.private_bytes(
        serialization.Encoding.DER, private_key_format(key, encoding), serialization.NoEncryption()
    )


def parse_private_key(pem: bytes) -> PrivateKey:
    """Any unencrypted PEM private key (PKCS1, SEC1, PKCS8) of a supported type.

    Errors never quote the input: it is a secret. RSA keys get OpenSSL's full consistency check
    once per distinct PEM in this process (see checked_rsa_keys)."""
    try:
        key = serialization.load_pem_private_key(
            pem, password=None, unsafe_skip_rsa_key_validation=CHECKED_RSA_PEMS.was_checked(pem)
        )
    except TypeError:
        raise InvalidPrivateKeyError("the private key is encrypted: store it without a passphrase") from None
    except (ValueError, UnsupportedAlgorithm):
        raise InvalidPrivateKeyError(
            "the data is not a PEM private key (expected a PKCS1, SEC1 or PKCS8 PEM block)"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise UnsupportedKeyError(
            f"{type(key).__name__} keys are not supported: use an RSA, ECDSA or Ed25519 key"
        )
    # By name: secp256k1 has P-256's size but is not a curve cert-manager (Go's crypto) accepts.
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name not in _ECDSA_CURVE_NAMES:
        raise UnsupportedKeyError(f"ECDSA curve {key.curve.name} is not supported: use P-256, P-384 or P-521")
    if isinstance(key, rsa.RSAPrivateKey):
        CHECKED_RSA_PEMS.remember(pem)
    return key


def key_spec_of(key: PrivateKey | PublicKey) -> KeySpec:
    """The algorithm and size of an existing key."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return KeySpec(PrivateKeyAlgorithm.RSA, key.key_size)
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return KeySpec(PrivateKeyAlgorithm.ECDSA, key.curve.key_size)
    return KeySpec(PrivateKeyAlgorithm.ED25519, None)


def supported_public_key(key: object) -> PublicKey:
    """The key narrowed to a supported type, or UnsupportedKeyError."""
    if isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        return key
    raise UnsupportedKeyError(
        f"{type(key).__name__} public keys are not supported: use an RSA, ECDSA or Ed25519 key"
    )


def key_matches_spec(key: PrivateKey | PublicKey, private_key: CertificatePrivateKey | None) -> bool:
    """Whether an existing key has the algorithm and size the Certificate asks for."""
    return key_spec_of(key) == key_spec_for(private_key)


def public_key_bytes(key: PrivateKey | PublicKey) -> bytes:
    """DER SubjectPublicKeyInfo: the canonical form for comparing public keys."""
    public = key.public_key() if isinstance(key, PrivateKey) else key
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_keys_equal(a: PrivateKey | PublicKey, b: PrivateKey | PublicKey) -> bool:
    return public_key_bytes(a) == public_key_bytes(b)


def public_key_matches(
    cert_or_csr: x509.Certificate | x509.CertificateSigningRequest, key: PrivateKey
) -> bool:
    """Whether a certificate or CSR carries the public half of key."""
    # Key objects compare by key material (OpenSSL's EVP_PKEY_eq), as their DER would, and 4x
    # faster: this runs on every reconcile of every Certificate.
    public: object = supported_public_key(cert_or_csr.public_key())
    return public == key.public_key()
