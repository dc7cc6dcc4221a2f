"""Private keys: every algorithm/size, both encodings, parsing, spec matching."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from certpilot.api.certificate import CertificatePrivateKey
from certpilot.api.enums import PrivateKeyAlgorithm, PrivateKeyEncoding
from certpilot.pki.errors import InvalidPrivateKeyError, UnsupportedKeyError
from certpilot.pki.keys import (
    KeySpec,
    PrivateKey,
    encode_private_key,
    generate_private_key,
    key_matches_spec,
    key_spec_for,
    key_spec_of,
    parse_private_key,
    public_keys_equal,
)
from tests.unit.pki.pki_material import key_of, openssl

RSA, ECDSA, ED25519 = PrivateKeyAlgorithm.RSA, PrivateKeyAlgorithm.ECDSA, PrivateKeyAlgorithm.ED25519


@pytest.mark.parametrize(
    ("private_key", "expected"),
    [
        (None, KeySpec(RSA, 2048)),
        (CertificatePrivateKey(), KeySpec(RSA, 2048)),
        (key_of(RSA, 3072), KeySpec(RSA, 3072)),
        (key_of(ECDSA), KeySpec(ECDSA, 256)),
        (key_of(ECDSA, 521), KeySpec(ECDSA, 521)),
        (key_of(ED25519, 4096), KeySpec(ED25519, None)),
        (key_of(RSA, 8192), KeySpec(RSA, 8192)),
    ],
)
def test_key_spec_applies_cert_manager_defaults(
    private_key: CertificatePrivateKey | None, expected: KeySpec
) -> None:
    assert key_spec_for(private_key) == expected


@pytest.mark.parametrize("private_key", [key_of(RSA, 1024), key_of(RSA, 16384), key_of(ECDSA, 224)])
def test_unsupported_sizes_are_refused_with_the_allowed_values(private_key: CertificatePrivateKey) -> None:
    with pytest.raises(UnsupportedKeyError, match="use"):
        key_spec_for(private_key)


@pytest.mark.parametrize(
    ("spec", "key_type"),
    [
        (KeySpec(RSA, 2048), rsa.RSAPrivateKey),
        (KeySpec(RSA, 3072), rsa.RSAPrivateKey),
        (KeySpec(ECDSA, 256), ec.EllipticCurvePrivateKey),
        (KeySpec(ECDSA, 384), ec.EllipticCurvePrivateKey),
        (KeySpec(ECDSA, 521), ec.EllipticCurvePrivateKey),
        (KeySpec(ED25519, None), ed25519.Ed25519PrivateKey),
    ],
)
def test_generated_key_has_the_requested_algorithm_and_size(spec: KeySpec, key_type: type) -> None:
    key = generate_private_key(spec)
    assert isinstance(key, key_type)
    assert key_spec_of(key) == spec


def test_rsa_4096_has_4096_bits(rsa_4096: PrivateKey) -> None:
    assert key_spec_of(rsa_4096) == KeySpec(RSA, 4096)


@pytest.mark.slow
def test_rsa_8192_generates() -> None:
    key = generate_private_key(KeySpec(RSA, 8192))
    assert key_spec_of(key) == KeySpec(RSA, 8192)


@pytest.mark.parametrize(
    ("spec", "encoding", "label"),
    [
        (KeySpec(RSA, 2048), PrivateKeyEncoding.PKCS1, b"RSA PRIVATE KEY"),
        (KeySpec(RSA, 2048), None, b"RSA PRIVATE KEY"),
        (KeySpec(RSA, 2048), PrivateKeyEncoding.PKCS8, b"PRIVATE KEY"),
        (KeySpec(ECDSA, 256), PrivateKeyEncoding.PKCS1, b"EC PRIVATE KEY"),
        (KeySpec(ECDSA, 384), PrivateKeyEncoding.PKCS8, b"PRIVATE KEY"),
        (KeySpec(ED25519, None), PrivateKeyEncoding.PKCS1, b"PRIVATE KEY"),
        (KeySpec(ED25519, None), PrivateKeyEncoding.PKCS8, b"PRIVATE KEY"),
    ],
)
def test_encoding_writes_the_pem_label_and_round_trips(
    spec: KeySpec, encoding: PrivateKeyEncoding | None, label: bytes
) -> None:
    key = generate_private_key(spec)
    pem = encode_private_key(key, encoding)
    assert pem.startswith(b"-----BEGIN " + label + b"-----\n")
    parsed = parse_private_key(pem)
    assert public_keys_equal(parsed, key)
    assert "Private-Key" in openssl("pkey", "-noout", "-text", input=pem) or spec.algorithm == ED25519


def test_openssl_generated_key_parses() -> None:
    pem = openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384").encode()
    assert key_spec_of(parse_private_key(pem)) == KeySpec(ECDSA, 384)


def test_parse_error_never_echoes_the_input() -> None:
    secret = b"-----BEGIN PRIVATE KEY-----\nTOPSECRETTOPSECRET\n-----END PRIVATE KEY-----\n"
    with pytest.raises(InvalidPrivateKeyError) as caught:
        parse_private_key(secret)
    assert "TOPSECRET" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_encrypted_key_is_refused_with_a_fix() -> None:
    pem = openssl(
        "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256", "-pass", "pass:pw"
    ).encode()
    with pytest.raises(InvalidPrivateKeyError, match="passphrase"):
        parse_private_key(pem)


def test_unsupported_key_type_is_refused() -> None:
    pem = openssl("genpkey", "-algorithm", "ED448").encode()
    with pytest.raises(UnsupportedKeyError, match="Ed448"):
        parse_private_key(pem)


def test_key_matches_spec_compares_algorithm_and_size() -> None:
    key = generate_private_key(KeySpec(ECDSA, 384))
    assert key_matches_spec(key, key_of(ECDSA, 384))
    assert key_matches_spec(key.public_key(), key_of(ECDSA, 384))
    assert not key_matches_spec(key, key_of(ECDSA))
    assert not key_matches_spec(key, None)
    assert key_matches_spec(generate_private_key(KeySpec(ED25519, None)), key_of(ED25519))


def test_public_keys_equal_only_for_the_same_key() -> None:
    first, second = generate_private_key(KeySpec(ED25519, None)), generate_private_key(KeySpec(ED25519, None))
    assert public_keys_equal(first, first.public_key())
    assert not public_keys_equal(first, second)
