"""A CSR is decoded and its signature verified once per (CSR bytes, isCA, usages), however often
the signer looks at its request (and not at all when this process signed it); refusals are
remembered with their message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from certpilot.api.core import Secret
from certpilot.api.enums import KeyUsage
from certpilot.api.meta import ObjectMeta
from certpilot.issuers.request import (
    CHECKED_CSRS,
    InvalidRequest,
    csr_check_outcome,
    forget_checked_request,
    requested_csr,
    sign_as_requested,
)
from certpilot.pki import verified_csr as verified_csr_module
from certpilot.pki.csr import build_csr, csr_to_pem
from certpilot.pki.keys import PrivateKey
from certpilot.pki.verified_csr import VerifiedCsr
from tests.unit.issuers.issuer_material import NOW, new_key, request, root_ca, spec


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[x509.CertificateSigningRequest]]:
    checked: list[x509.CertificateSigningRequest] = []
    real_verify = verified_csr_module.verify_csr

    def counting_verify(csr: x509.CertificateSigningRequest) -> VerifiedCsr:
        checked.append(csr)
        return real_verify(csr)

    monkeypatch.setattr(verified_csr_module, "verify_csr", counting_verify)
    yield checked


def foreign_pem(key: PrivateKey) -> bytes:
    """A CSR signed outside build_csr: this process has not signed it, so it verifies it."""
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "foreign.example.com")])
    )
    return builder.sign(key, hashes.SHA256()).public_bytes(Encoding.PEM)


def forged_pem() -> bytes:
    der = bytearray(build_csr(spec("victim"), new_key()).public_bytes(Encoding.DER))
    der[-5] ^= 0xFF
    return x509.load_der_x509_csr(bytes(der)).public_bytes(Encoding.PEM)


def test_every_look_and_the_signing_verify_the_csr_once(
    verifications: list[x509.CertificateSigningRequest],
) -> None:
    key = new_key()
    root_key = new_key()
    cr = request("r", key, csr_pem=foreign_pem(key))
    for _ in range(3):
        assert requested_csr(cr).public_key() == key.public_key()
    leaf = sign_as_requested(cr, issuer_cert=root_ca(root_key), issuer_key=root_key, now=NOW)
    assert leaf.public_key() == key.public_key()
    assert len(verifications) == 1


def test_another_request_with_the_same_csr_shares_the_check(
    verifications: list[x509.CertificateSigningRequest],
) -> None:
    key = new_key()
    first = request("first", key, csr_pem=foreign_pem(key))
    second = first.model_copy(deep=True)
    second.metadata.name = "second"
    assert requested_csr(first) is requested_csr(second)
    assert len(verifications) == 1


def test_a_forged_csr_fails_every_time_with_the_same_message(
    verifications: list[x509.CertificateSigningRequest],
) -> None:
    cr = request("r", new_key(), csr_pem=forged_pem())
    messages = set()
    for _ in range(3):
        with pytest.raises(InvalidRequest) as caught:
            requested_csr(cr)
        messages.add(str(caught.value))
    assert messages == {"the CSR in spec.request has an invalid signature"}
    assert len(verifications) == 1


def test_isca_and_usages_are_part_of_what_is_remembered() -> None:
    key = new_key()
    pem = csr_to_pem(build_csr(spec("x", is_ca=True), key))
    as_ca = request("r", key, csr_pem=pem, is_ca=True)
    assert requested_csr(as_ca).public_key() == key.public_key()
    as_leaf = as_ca.model_copy(deep=True)
    as_leaf.spec.is_ca = None
    with pytest.raises(InvalidRequest, match="isCA"):
        requested_csr(as_leaf)
    with_usages = as_ca.model_copy(deep=True)
    with_usages.spec.usages = [KeyUsage.CLIENT_AUTH]
    with pytest.raises(InvalidRequest, match="usages"):
        requested_csr(with_usages)
    assert requested_csr(as_ca).public_key() == key.public_key()


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        (b"hello", "Failed to decode CSR in spec.request: not a PEM certificate signing request"),
        (forged_pem(), "the CSR in spec.request has an invalid signature"),
    ],
)
def test_check_outcome_says_why(pem: bytes, message: str) -> None:
    assert csr_check_outcome(pem, False, None) == message


def test_check_outcome_of_a_good_csr_is_the_verified_csr() -> None:
    key = new_key()
    outcome = csr_check_outcome(csr_to_pem(build_csr(spec("x"), key)), False, None)
    assert isinstance(outcome, VerifiedCsr)
    assert outcome.public_key == key.public_key()


def test_a_csr_built_here_is_not_verified_but_a_forgery_of_it_is(
    verifications: list[x509.CertificateSigningRequest],
) -> None:
    key = new_key()
    built = csr_to_pem(build_csr(spec("here"), key))
    assert requested_csr(request("r", key, csr_pem=built)).public_key() == key.public_key()
    assert verifications == []
    der = bytearray(x509.load_pem_x509_csr(built).public_bytes(Encoding.DER))
    der[-5] ^= 0xFF
    forged = x509.load_der_x509_csr(bytes(der)).public_bytes(Encoding.PEM)
    with pytest.raises(InvalidRequest, match="invalid signature"):
        requested_csr(request("forged", key, csr_pem=forged))
    assert len(verifications) == 1


def test_a_deleted_request_leaves_no_checked_csr_behind(
    verifications: list[x509.CertificateSigningRequest],
) -> None:
    key = new_key()
    cr = request("r", key, csr_pem=foreign_pem(key))
    requested_csr(cr)
    before = len(CHECKED_CSRS)
    forget_checked_request(cr)
    assert len(CHECKED_CSRS) == before - 1
    requested_csr(cr)
    assert len(verifications) == 2, "checked afresh: nothing was remembered for it"


def test_forgetting_ignores_other_kinds_and_undecodable_requests() -> None:
    broken = request("r", new_key())
    broken.spec.request = "not base64!"
    forget_checked_request(broken)
    forget_checked_request(Secret(metadata=ObjectMeta(name="s", namespace="default", uid="u")))
