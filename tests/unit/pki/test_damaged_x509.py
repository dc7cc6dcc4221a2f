"""Certificates and CSRs that load but are damaged inside (found by tests/fuzz): each is refused
with a typed error that names the Secret key or spec.request, never a bare ValueError, KeyError or
cryptography's InvalidVersion escaping from the CA issuer, the signer or the manifest checks."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from certpilot.api.checks import pem_csr_problem
from certpilot.issuers.secrets import SecretDataInvalid, key_pair_of
from certpilot.pki.errors import InvalidPEMError
from certpilot.pki.verified_csr import load_verified_csr
from certpilot.testing.builders import secret_tls

KEY = ec.generate_private_key(ec.SECP256R1())
NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "damaged")])
POINT = KEY.public_key().public_bytes(
    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
)


def _pem(label: str, der: bytes) -> bytes:
    return f"-----BEGIN {label}-----\n{base64.encodebytes(der).decode()}-----END {label}-----\n".encode()


def _with_bad_point(der: bytes) -> bytes:
    """der with the public key's point made invalid: its 0x04 (uncompressed) marker becomes 0x05,
    which no point encoding uses (0x06 and 0x07, hybrid forms, may still parse)."""
    at = der.index(POINT)
    return der[:at] + b"\x05" + der[at + 1 :]


def _ca_der() -> bytes:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(NAME)
        .issuer_name(NAME)
        .public_key(KEY.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    )
    return builder.sign(KEY, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _csr_der() -> bytes:
    csr = x509.CertificateSigningRequestBuilder().subject_name(NAME).sign(KEY, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.DER)


KEY_PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)


def test_a_ca_certificate_whose_public_key_does_not_parse_is_named() -> None:
    crt = _pem("CERTIFICATE", _with_bad_point(_ca_der()))
    secret = secret_tls("ca-tls", "ns", cert_pem=crt, key_pem=KEY_PEM)
    with pytest.raises(
        SecretDataInvalid, match=r'key "tls\.crt": the public key of certificate 1 does not parse'
    ):
        key_pair_of(secret, 'secret "ns/ca-tls"')


@pytest.mark.parametrize(
    ("tag", "value"),
    [(b"\x0c", b"\xffamaged"), (b"\x01", b"damaged")],
    ids=["a UTF8String that is not UTF-8", "a value of no string type (BOOLEAN)"],
)
def test_a_ca_certificate_whose_names_do_not_parse_is_named(tag: bytes, value: bytes) -> None:
    """Reading the subject parses every attribute value: nothing is left for formatting it to find."""
    crt = _pem("CERTIFICATE", _ca_der().replace(b"\x0c\x07damaged", tag + b"\x07" + value))
    secret = secret_tls("ca-tls", "ns", cert_pem=crt, key_pem=KEY_PEM)
    with pytest.raises(
        SecretDataInvalid, match=r'key "tls\.crt": the subject of certificate 1 does not parse'
    ):
        key_pair_of(secret, 'secret "ns/ca-tls"')


def test_a_csr_whose_public_key_does_not_parse_is_refused_by_the_checks_and_the_signer() -> None:
    pem = _pem("CERTIFICATE REQUEST", _with_bad_point(_csr_der()))
    assert pem_csr_problem(base64.b64encode(pem).decode()) == (
        "the public key of the certificate signing request does not parse"
    )
    with pytest.raises(InvalidPEMError, match="public key"):
        load_verified_csr(pem)


def test_a_csr_with_an_unknown_version_is_refused_not_raised() -> None:
    der = _csr_der()
    version = der.index(b"\x02\x01\x00")  # the first INTEGER: CertificationRequestInfo's version
    pem = _pem("CERTIFICATE REQUEST", der[:version] + b"\x02\x01\x10" + der[version + 3 :])
    assert pem_csr_problem(base64.b64encode(pem).decode()) is not None
    with pytest.raises(InvalidPEMError):
        load_verified_csr(pem)
