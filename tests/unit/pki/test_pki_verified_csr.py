"""A VerifiedCsr carries the proof of a checked signature: signing it does not verify again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.pki import verified_csr as verified_csr_module
from certpilot.pki.csr import build_csr, csr_to_pem
from certpilot.pki.errors import InvalidCSRError, InvalidPEMError
from certpilot.pki.keys import KeySpec, generate_private_key
from certpilot.pki.sign import sign_certificate
from certpilot.pki.verified_csr import CSRS_SIGNED_HERE, VerifiedCsr, load_verified_csr, verify_csr
from tests.unit.pki.pki_material import NOW, Issued, make_spec

EC = KeySpec(PrivateKeyAlgorithm.ECDSA, 256)


def forged_csr() -> x509.CertificateSigningRequest:
    der = bytearray(
        build_csr(make_spec(common_name="victim"), generate_private_key(EC)).public_bytes(Encoding.DER)
    )
    der[-5] ^= 0xFF
    return x509.load_der_x509_csr(bytes(der))


def test_verify_csr_keeps_the_csr_and_its_key() -> None:
    key = generate_private_key(EC)
    csr = build_csr(make_spec(common_name="x"), key)
    verified = verify_csr(csr)
    assert verified.csr is csr
    assert verified.public_key == key.public_key()


def test_a_forged_csr_is_refused() -> None:
    with pytest.raises(InvalidCSRError, match="signature is invalid"):
        verify_csr(forged_csr())


def sign(request: x509.CertificateSigningRequest | VerifiedCsr, root_ca: Issued) -> x509.Certificate:
    return sign_certificate(
        request,
        issuer_cert=root_ca.cert,
        issuer_key=root_ca.key,
        duration=timedelta(days=1),
        is_ca=False,
        usages=None,
        now=NOW,
    )


def test_signing_verifies_a_plain_csr_but_not_a_verified_one(
    root_ca: Issued, monkeypatch: pytest.MonkeyPatch
) -> None:
    csr = build_csr(make_spec(common_name="x"), generate_private_key(EC))
    verified = verify_csr(csr)
    checks: list[x509.CertificateSigningRequest] = []
    real_verify = verified_csr_module.verify_csr

    def counting_verify(csr: x509.CertificateSigningRequest) -> VerifiedCsr:
        checks.append(csr)
        return real_verify(csr)

    monkeypatch.setattr("certpilot.pki.sign.verify_csr", counting_verify)
    from_verified = sign(verified, root_ca)
    assert checks == []
    from_plain = sign(csr, root_ca)
    assert checks == [csr]
    assert from_verified.public_key() == from_plain.public_key() == csr.public_key()
    from_verified.verify_directly_issued_by(root_ca.cert)


def test_build_csr_remembers_the_pem_it_signed() -> None:
    key = generate_private_key(EC)
    pem = csr_to_pem(build_csr(make_spec(common_name="here"), key))
    assert CSRS_SIGNED_HERE.was_checked(pem)
    assert not CSRS_SIGNED_HERE.was_checked(forged_csr().public_bytes(Encoding.PEM))
    loaded = load_verified_csr(pem)
    assert loaded.public_key == key.public_key()


def test_load_verified_csr_refuses_garbage_and_forgeries() -> None:
    with pytest.raises(InvalidPEMError, match="not a PEM certificate signing request"):
        load_verified_csr(b"hello")
    with pytest.raises(InvalidCSRError, match="signature is invalid"):
        load_verified_csr(forged_csr().public_bytes(Encoding.PEM))
