"""RSA keys get OpenSSL's full check once per distinct PEM; a PEM that failed is never remembered."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.pki.checked_rsa_keys import CHECKED_RSA_PEMS, CheckedPems
from certpilot.pki.errors import InvalidPrivateKeyError
from certpilot.pki.keys import KeySpec, encode_private_key, generate_private_key, parse_private_key


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _inconsistent_rsa_pem() -> bytes:
    """A well-formed RSA PEM whose private exponent does not match its public one."""
    good = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_numbers()
    bad = rsa.RSAPrivateNumbers(
        p=good.p,
        q=good.q,
        d=good.d + 2,
        dmp1=good.dmp1,
        dmq1=good.dmq1,
        iqmp=good.iqmp,
        public_numbers=good.public_numbers,
    )
    return _pem(bad.private_key(unsafe_skip_rsa_key_validation=True))


def test_an_inconsistent_rsa_key_is_refused_every_time() -> None:
    pem = _inconsistent_rsa_pem()
    for _ in range(2):
        with pytest.raises(InvalidPrivateKeyError):
            parse_private_key(pem)
    assert not CHECKED_RSA_PEMS.was_checked(pem)


def test_a_parsed_rsa_pem_is_remembered_and_parses_to_the_same_key_again() -> None:
    pem = _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert not CHECKED_RSA_PEMS.was_checked(pem)
    first = parse_private_key(pem)
    assert CHECKED_RSA_PEMS.was_checked(pem)
    second = parse_private_key(pem)
    assert isinstance(first, rsa.RSAPrivateKey) and isinstance(second, rsa.RSAPrivateKey)
    assert first.private_numbers() == second.private_numbers()


def test_a_changed_byte_is_a_different_pem_and_is_checked_again() -> None:
    pem = _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    parse_private_key(pem)
    body_line = pem.splitlines()[5]
    flipped = body_line[:10] + (b"A" if body_line[10:11] != b"A" else b"B") + body_line[11:]
    tampered = pem.replace(body_line, flipped)
    assert not CHECKED_RSA_PEMS.was_checked(tampered)
    with pytest.raises(InvalidPrivateKeyError):
        parse_private_key(tampered)


def test_keys_encoded_by_this_process_are_known_good() -> None:
    pem = encode_private_key(generate_private_key(KeySpec(PrivateKeyAlgorithm.RSA, 2048)))
    assert CHECKED_RSA_PEMS.was_checked(pem)


def test_ecdsa_keys_are_not_remembered() -> None:
    pem = encode_private_key(generate_private_key(KeySpec(PrivateKeyAlgorithm.ECDSA, 256)))
    parse_private_key(pem)
    assert not CHECKED_RSA_PEMS.was_checked(pem)


def test_the_least_recently_used_digest_goes_first() -> None:
    checked = CheckedPems(capacity=2)
    checked.remember(b"a")
    checked.remember(b"b")
    assert checked.was_checked(b"a")  # now b is the least recently used
    checked.remember(b"c")
    assert len(checked) == 2
    assert checked.was_checked(b"a") and checked.was_checked(b"c")
    assert not checked.was_checked(b"b")


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity"):
        CheckedPems(capacity=0)
