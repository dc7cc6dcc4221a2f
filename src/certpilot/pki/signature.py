"""Signature hash choice: the one a Certificate asks for, or the default for the signing key."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from certpilot.api.enums import SignatureAlgorithm
from certpilot.pki.errors import UnsupportedKeyError
from certpilot.pki.keys import PrivateKey, PublicKey, key_spec_of

SignatureHash = hashes.SHA256 | hashes.SHA384 | hashes.SHA512

_HASHES: dict[SignatureAlgorithm, type[SignatureHash] | None] = {
    SignatureAlgorithm.SHA256WithRSA: hashes.SHA256,
    SignatureAlgorithm.SHA384WithRSA: hashes.SHA384,
    SignatureAlgorithm.SHA512WithRSA: hashes.SHA512,
    SignatureAlgorithm.ECDSAWithSHA256: hashes.SHA256,
    SignatureAlgorithm.ECDSAWithSHA384: hashes.SHA384,
    SignatureAlgorithm.ECDSAWithSHA512: hashes.SHA512,
    SignatureAlgorithm.PureEd25519: None,
}


def default_signature_algorithm(key: PrivateKey | PublicKey) -> SignatureAlgorithm:
    """cert-manager's choice: the hash grows with the RSA size or the ECDSA curve."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        if key.key_size >= 4096:
            return SignatureAlgorithm.SHA512WithRSA
        if key.key_size >= 3072:
            return SignatureAlgorithm.SHA384WithRSA
        return SignatureAlgorithm.SHA256WithRSA
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return {384: SignatureAlgorithm.ECDSAWithSHA384, 521: SignatureAlgorithm.ECDSAWithSHA512}.get(
            key.curve.key_size, SignatureAlgorithm.ECDSAWithSHA256
        )
    return SignatureAlgorithm.PureEd25519


def signature_algorithm_fits_key(algorithm: SignatureAlgorithm, key: PrivateKey | PublicKey) -> bool:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return algorithm.value.endswith("WithRSA")
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return algorithm == SignatureAlgorithm.PureEd25519
    return algorithm.value.startswith("ECDSAWith")


def signature_hash_for(key: PrivateKey, algorithm: SignatureAlgorithm | None = None) -> SignatureHash | None:
    """The hash to sign with (None for Ed25519). Refuses an algorithm the key cannot produce."""
    chosen = algorithm or default_signature_algorithm(key)
    if not signature_algorithm_fits_key(chosen, key):
        raise UnsupportedKeyError(
            f"signatureAlgorithm {chosen.value} cannot be used with a {key_spec_of(key)} key: "
            "choose a signatureAlgorithm matching privateKey.algorithm"
        )
    hash_type = _HASHES[chosen]
    return hash_type() if hash_type else None


def signature_hash_name(algorithm: SignatureAlgorithm) -> str | None:
    """The hash an algorithm signs with, as cryptography names it ('sha384'); None for PureEd25519."""
    hash_type = _HASHES[algorithm]
    return hash_type().name if hash_type else None
