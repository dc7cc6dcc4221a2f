"""Signing: root -> intermediate -> leaf, verified and read back by openssl."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from certpilot.api.certificate import NameConstraintItem, NameConstraints, OtherName
from certpilot.api.enums import KeyUsage, PrivateKeyAlgorithm
from certpilot.pki.csr import build_csr
from certpilot.pki.errors import InvalidCSRError, SigningError
from certpilot.pki.keys import KeySpec, generate_private_key
from certpilot.pki.sign import sign_certificate
from tests.unit.pki.pki_material import NOW, Issued, issue, key_of, make_spec, openssl, write

EC = KeySpec(PrivateKeyAlgorithm.ECDSA, 256)


def test_leaf_from_intermediate_verifies_and_shows_every_field(
    tmp_path: Path, root_ca: Issued, intermediate_ca: Issued
) -> None:
    spec = make_spec(
        common_name="leaf.example.com",
        dns_names=["leaf.example.com"],
        ip_addresses=["127.0.0.1"],
        uris=["spiffe://example/leaf"],
        email_addresses=["leaf@example.com"],
        other_names=[OtherName(oid="1.3.6.1.4.1.311.20.2.3", utf8_value="leaf@corp")],
        usages=[KeyUsage.DIGITAL_SIGNATURE, KeyUsage.SERVER_AUTH, KeyUsage.CLIENT_AUTH],
    )
    leaf = issue(
        spec,
        generate_private_key(EC),
        issuer=intermediate_ca,
        crl_distribution_points=["http://crl.example.com/ca.crl"],
        ocsp_servers=["http://ocsp.example.com"],
        issuing_certificate_urls=["http://ca.example.com/ca.crt"],
    )
    ca, untrusted, leaf_path = (
        write(tmp_path / "ca.crt", root_ca.pem),
        write(tmp_path / "int.crt", intermediate_ca.pem),
        write(tmp_path / "leaf.crt", leaf.pem),
    )
    at = str(int((NOW + timedelta(days=1)).timestamp()))
    assert "leaf.crt: OK" in openssl(
        "verify", "-attime", at, "-CAfile", ca, "-untrusted", untrusted, leaf_path
    )
    text = openssl("x509", "-in", leaf_path, "-noout", "-text")
    for expected in [
        "DNS:leaf.example.com",
        "IP Address:127.0.0.1",
        "URI:spiffe://example/leaf",
        "email:leaf@example.com",
        "othername: UPN::leaf@corp",
        "X509v3 Key Usage: critical",
        "Digital Signature",
        "TLS Web Server Authentication, TLS Web Client Authentication",
        "CA:FALSE",
        "URI:http://crl.example.com/ca.crl",
        "OCSP - URI:http://ocsp.example.com",
        "CA Issuers - URI:http://ca.example.com/ca.crt",
        "X509v3 Subject Key Identifier",
        "X509v3 Authority Key Identifier",
        "Issuer: CN = certpilot test intermediate",
    ]:
        assert expected in text, expected
    assert "Key Encipherment" not in text
    assert leaf.cert.serial_number > 0 and leaf.cert.serial_number.bit_length() <= 128
    assert leaf.cert.not_valid_before_utc == NOW
    assert leaf.cert.not_valid_after_utc == NOW + timedelta(days=90)


def test_ca_gets_cert_sign_and_name_constraints(tmp_path: Path, root_ca: Issued) -> None:
    spec = make_spec(
        common_name="constrained",
        is_ca=True,
        name_constraints=NameConstraints(
            critical=True, permitted=NameConstraintItem(dns_domains=["example.com"])
        ),
    )
    ca = issue(spec, generate_private_key(EC), issuer=root_ca)
    text = openssl("x509", "-in", write(tmp_path / "c.crt", ca.pem), "-noout", "-text")
    assert "CA:TRUE" in text and "Certificate Sign" in text
    assert "X509v3 Name Constraints: critical" in text and "DNS:example.com" in text


def test_not_after_never_passes_the_issuer(root_ca: Issued) -> None:
    leaf = issue(
        make_spec(common_name="long"),
        generate_private_key(EC),
        issuer=root_ca,
        duration=timedelta(days=99999),
    )
    assert leaf.cert.not_valid_after_utc == root_ca.cert.not_valid_after_utc


def test_self_signed_issuer_is_its_own_subject() -> None:
    spec = make_spec(common_name="self", private_key=key_of(PrivateKeyAlgorithm.ED25519))
    cert = issue(spec, generate_private_key(KeySpec(PrivateKeyAlgorithm.ED25519, None))).cert
    assert cert.issuer == cert.subject
    cert.verify_directly_issued_by(cert)


def _sign(csr: x509.CertificateSigningRequest, issuer: Issued, **overrides: object) -> x509.Certificate:
    arguments: dict[str, object] = {
        "issuer_cert": issuer.cert,
        "issuer_key": issuer.key,
        "duration": timedelta(days=1),
        "is_ca": False,
        "usages": None,
        "now": NOW,
    }
    arguments.update(overrides)
    return sign_certificate(csr, **arguments)  # type: ignore[arg-type]


def test_csr_with_invalid_signature_is_refused(root_ca: Issued) -> None:
    csr = build_csr(make_spec(common_name="victim"), generate_private_key(EC))
    der = bytearray(csr.public_bytes(Encoding.DER))
    der[-5] ^= 0xFF
    forged = x509.load_der_x509_csr(bytes(der))
    with pytest.raises(InvalidCSRError, match="signature"):
        _sign(forged, root_ca)


def test_csr_contradicting_the_request_is_refused(root_ca: Issued) -> None:
    ca_csr = build_csr(make_spec(common_name="x", is_ca=True), generate_private_key(EC))
    with pytest.raises(InvalidCSRError, match="isCA"):
        _sign(ca_csr, root_ca, is_ca=False)
    usage_csr = build_csr(make_spec(common_name="x", usages=[KeyUsage.SERVER_AUTH]), generate_private_key(EC))
    with pytest.raises(InvalidCSRError, match="usages"):
        _sign(usage_csr, root_ca, usages=[KeyUsage.CLIENT_AUTH])


def test_issuer_material_problems_are_signing_errors(root_ca: Issued, intermediate_ca: Issued) -> None:
    csr = build_csr(make_spec(common_name="x"), generate_private_key(EC))
    with pytest.raises(SigningError, match="does not match"):
        _sign(csr, root_ca, issuer_key=intermediate_ca.key)
    leaf = issue(make_spec(common_name="not-a-ca"), generate_private_key(EC), issuer=root_ca)
    with pytest.raises(SigningError, match="not a CA"):
        _sign(csr, leaf)
    with pytest.raises(SigningError, match="expired"):
        _sign(csr, root_ca, now=root_ca.cert.not_valid_after_utc + timedelta(days=1))
    with pytest.raises(SigningError, match="own private key"):
        _sign(csr, root_ca, issuer_cert=None)
