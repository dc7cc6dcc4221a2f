"""What the issuance path records instead of working out again: a request built here matches
the spec it was built from and was made for its key; a Secret written here holds the leaf and key
it was written from and is what the sync would build; readiness leaves the moment between the
issuing controller's Secret write and its status write to that status write."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from certpilot.api.certificate import (
    Certificate,
    CertificateAdditionalOutputFormat,
    CertificatePrivateKey,
    CertificateSecretTemplate,
    CertificateStatus,
    NameConstraintItem,
    NameConstraints,
)
from certpilot.api.certificaterequest import CertificateRequest, CertificateRequestStatus
from certpilot.api.conditions import ISSUING, set_condition
from certpilot.api.core import TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY, Secret
from certpilot.api.enums import AdditionalOutputFormatType, KeyUsage, PrivateKeyAlgorithm, SignatureAlgorithm
from certpilot.api.meta import OwnerReference
from certpilot.controllers.certificates import memos as memos_module
from certpilot.controllers.certificates import parsed_secrets
from certpilot.controllers.certificates.conditions import with_status
from certpilot.controllers.certificates.issuing.post_issuance import secret_needs_sync
from certpilot.controllers.certificates.issuing.secret_data import KeyPair, KeystorePasswords, desired_secret
from certpilot.controllers.certificates.keymanager.keymanager import generate_key_pem
from certpilot.controllers.certificates.memos import CertificateMemos
from certpilot.controllers.certificates.policies.request_key import OTHER_KEY, UNPARSEABLE, csr_key_problem
from certpilot.controllers.certificates.policies.request_match import compare_request_with_spec
from certpilot.controllers.certificates.readiness.certificate_readiness import is_left_to_issuing
from certpilot.controllers.certificates.requestmanager.requestmanager import build_request, request_is_stale
from certpilot.pki.keys import generate_private_key, key_spec_for, parse_private_key, public_keys_equal
from certpilot.pki.parse import parse_certificates
from certpilot.testing.builders import certificate, ec_key, full_subject, self_signed_for

NOW = datetime(2030, 1, 1, tzinfo=UTC)
KEY = ec_key()
EC = CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256)
CERT = certificate("web", private_key=EC)

# Specs covering every field build_request encodes.
SPECS = [
    CERT,
    certificate(
        "full",
        common_name="app.example.com",
        subject=full_subject(),
        dns_names=["app.example.com", "www.example.com"],
        ip_addresses=["192.0.2.7", "2001:db8::1"],
        uris=["spiffe://cluster.local/ns/default/sa/app"],
        email_addresses=["ops@example.com"],
        usages=[KeyUsage.DIGITAL_SIGNATURE, KeyUsage.SERVER_AUTH, KeyUsage.CLIENT_AUTH],
        duration="2160h",
        private_key=EC,
        signature_algorithm=SignatureAlgorithm.ECDSAWithSHA384,
    ),
    certificate("ca", is_ca=True, common_name="My CA", private_key=EC, issuer_kind="ClusterIssuer"),
    certificate("plain", encode_usages_in_request=False, private_key=EC),
    certificate("literal", literal_subject="CN=app,O=Org", private_key=EC),
    certificate(
        "constrained",
        is_ca=True,
        private_key=EC,
        name_constraints=NameConstraints(critical=True, permitted=NameConstraintItem(dns_domains=["x.org"])),
    ),
]


def stored(obj: CertificateRequest, uid: str) -> CertificateRequest:
    copy = obj.model_copy(deep=True)
    copy.metadata.uid, copy.metadata.generation, copy.metadata.resource_version = uid, 1, "7"
    return copy


def stored_cert(cert: Certificate, uid: str, generation: int = 1) -> Certificate:
    copy = cert.model_copy(deep=True)
    copy.metadata.uid, copy.metadata.generation = uid, generation
    return copy


def stored_secret(secret: Secret, uid: str, rv: str = "1") -> Secret:
    copy = secret.model_copy(deep=True)
    copy.metadata.uid, copy.metadata.resource_version = uid, rv
    return copy


def never_called(*_: object) -> object:
    raise AssertionError("should have been remembered")


@pytest.mark.parametrize("cert", SPECS, ids=lambda c: c.name)
def test_a_request_built_from_a_spec_matches_that_spec(cert: Certificate) -> None:
    # What remember_built_request records without comparing: true by construction.
    key = generate_private_key(key_spec_for(cert.spec.private_key))
    assert compare_request_with_spec(build_request(cert, key, 1, "k"), cert) == []


def test_a_stored_request_built_here_is_not_compared_with_its_spec_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memos = CertificateMemos()
    cert = stored_cert(CERT, "cert-built")
    built = build_request(cert, KEY, 1, "k")
    request = stored(built, "req-built")
    memos.remember_built_request(request, built, cert)
    monkeypatch.setattr(memos_module, "compare_request_with_spec", never_called)
    assert memos.request_mismatches(request, cert) == []
    # Another spec version is compared afresh.
    respec = stored_cert(certificate("web", dns_names=["other.example.com"], private_key=EC), "cert-built", 2)
    with pytest.raises(AssertionError):
        memos.request_mismatches(request, respec)


def test_a_stored_request_asking_otherwise_than_the_one_built_is_compared() -> None:
    memos = CertificateMemos()
    cert = stored_cert(CERT, "cert-changed")
    built = build_request(cert, KEY, 1, "k")
    request = stored(built, "req-changed")
    request.spec.duration = "1h"
    memos.remember_built_request(request, built, cert)
    assert memos.request_mismatches(request, cert) == ["spec.duration"]


def test_the_key_check_finds_the_csr_s_key_and_is_remembered_per_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memos = CertificateMemos()
    request = stored(build_request(CERT, KEY, 1, "k"), "req-key")
    assert csr_key_problem(request, KEY) is None
    assert csr_key_problem(request, ec_key()) == OTHER_KEY
    garbled = request.model_copy(deep=True)
    garbled.spec.request = base64.b64encode(b"not a CSR").decode()
    assert csr_key_problem(garbled, KEY) == UNPARSEABLE
    key_secret = stored_secret(Secret(), "key-secret")
    assert memos.why_not_made_for(request, ec_key(), key_secret) == OTHER_KEY
    monkeypatch.setattr(memos_module, "csr_key_problem", never_called)
    assert memos.why_not_made_for(request, KEY, key_secret) == OTHER_KEY
    # Without a stored key Secret nothing is remembered.
    with pytest.raises(AssertionError):
        memos.why_not_made_for(request, KEY, None)


def test_a_request_built_here_is_recorded_as_made_for_its_key(monkeypatch: pytest.MonkeyPatch) -> None:
    memos = CertificateMemos()
    cert = stored_cert(CERT, "cert-made")
    built = build_request(cert, KEY, 1, "k")
    request, key_secret = stored(built, "req-made"), stored_secret(Secret(), "key-made")
    memos.remember_made_for(request, built, key_secret)
    memos.remember_built_request(request, built, cert)
    monkeypatch.setattr(memos_module, "csr_key_problem", never_called)
    assert request_is_stale(request, cert, KEY, key_secret, memos) is None
    other = stored(build_request(cert, ec_key(), 1, "k"), "req-other")
    memos.remember_made_for(other, built, key_secret)  # another CSR: not recorded
    with pytest.raises(AssertionError):
        memos.why_not_made_for(other, KEY, key_secret)


def test_a_written_secret_s_leaf_and_key_are_remembered_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    memos = CertificateMemos()
    pem = self_signed_for(CERT, KEY)
    secret = stored_secret(
        desired_secret(
            CERT, None, KeyPair(KEY, pem), KeystorePasswords(), owner_ref=False, reuse_keystores=False
        ),
        "written",
    )
    leaf = parse_certificates(pem)[0]
    # What parsing those bytes finds.
    assert parsed_secrets.parse_leaf(secret.get_data(TLS_CERT_KEY) or b"").certificate == leaf
    assert public_keys_equal(parse_private_key(secret.get_data(TLS_PRIVATE_KEY_KEY) or b""), KEY)
    memos.remember_parsed_leaf(secret, TLS_CERT_KEY, leaf)
    memos.remember_parsed_key(secret, TLS_PRIVATE_KEY_KEY, KEY)
    monkeypatch.setattr(memos_module, "parse_leaf", never_called)
    monkeypatch.setattr(memos_module, "parse_key", never_called)
    assert memos.parsed_leaf(secret, TLS_CERT_KEY).certificate is leaf
    assert memos.parsed_key(secret, TLS_PRIVATE_KEY_KEY).key is KEY


def template_cert() -> Certificate:
    return certificate(
        "tmpl",
        private_key=EC,
        secret_template=CertificateSecretTemplate(
            labels={"team": "a"}, annotations={"note": "x", "cert-manager.io/extra": "kept"}
        ),
        additional_output_formats=[
            CertificateAdditionalOutputFormat(type=AdditionalOutputFormatType.DER),
            CertificateAdditionalOutputFormat(type=AdditionalOutputFormatType.COMBINED_PEM),
        ],
    )


@pytest.mark.parametrize("owner_ref", [False, True])
@pytest.mark.parametrize("cert", [CERT, template_cert()], ids=["plain", "template"])
def test_the_sync_finds_a_secret_written_from_a_key_pair_in_sync(cert: Certificate, owner_ref: bool) -> None:
    # Why issuing records the Secret it has just written as in sync: the sync would rebuild it
    # from that Secret and the same key pair, and find nothing to change.
    cert = stored_cert(cert, "cert-sync")
    pem = self_signed_for(cert, KEY)
    foreign = Secret.model_validate(
        {
            "metadata": {
                "name": cert.spec.secret_name,
                "namespace": "default",
                "labels": {"other": "y"},
                "annotations": {"cert-manager.io/alt-names": "stale", "keep": "z"},
                "ownerReferences": [
                    OwnerReference(api_version="v1", kind="ConfigMap", name="o", uid="o").to_dict()
                ],
            },
            "data": {"user.txt": base64.b64encode(b"mine").decode()},
        }
    )
    for existing in (None, foreign):
        pair = KeyPair(KEY, pem)
        written = desired_secret(
            cert, existing, pair, KeystorePasswords(), owner_ref=owner_ref, reuse_keystores=False
        )
        again = desired_secret(
            cert,
            written,
            KeyPair(parse_private_key(written.get_data(TLS_PRIVATE_KEY_KEY) or b""), pem),
            KeystorePasswords(),
            owner_ref=owner_ref,
            reuse_keystores=True,
        )
        assert secret_needs_sync(written, again) is None


def test_the_key_manager_hands_back_the_key_it_encoded() -> None:
    key, pem = generate_key_pem(CERT)
    assert public_keys_equal(parse_private_key(pem), key)


def issuing_cert() -> Certificate:
    conditions = set_condition(None, ISSUING, "True", "DoesNotExist", "m", NOW, 1)
    return with_status(CERT, CertificateStatus(conditions=conditions, next_private_key_secret_name="web-k"))


def issued_request(chain_pem: bytes) -> CertificateRequest:
    request = build_request(issuing_cert(), KEY, 1, "web-k")
    return request.model_copy(
        update={"status": CertificateRequestStatus(certificate=base64.b64encode(chain_pem).decode())}
    )


def test_readiness_leaves_the_moment_after_the_issued_secret_is_written_to_issuing() -> None:
    pem = self_signed_for(CERT, KEY)
    request = issued_request(pem)
    written = desired_secret(
        CERT, None, KeyPair(KEY, pem), KeystorePasswords(), owner_ref=False, reuse_keystores=False
    )
    assert is_left_to_issuing(issuing_cert(), written, request)


def test_readiness_decides_itself_before_the_secret_is_written_or_outside_an_issuance() -> None:
    pem = self_signed_for(CERT, KEY)
    request = issued_request(pem)
    old = desired_secret(
        CERT,
        None,
        KeyPair(KEY, self_signed_for(CERT, KEY)),
        KeystorePasswords(),
        owner_ref=False,
        reuse_keystores=False,
    )
    written = desired_secret(
        CERT, None, KeyPair(KEY, pem), KeystorePasswords(), owner_ref=False, reuse_keystores=False
    )
    assert not is_left_to_issuing(issuing_cert(), old, request)  # not written yet
    assert not is_left_to_issuing(issuing_cert(), None, request)
    assert not is_left_to_issuing(issuing_cert(), written, None)
    assert not is_left_to_issuing(issuing_cert(), written, build_request(issuing_cert(), KEY, 1, "web-k"))
    assert not is_left_to_issuing(CERT, written, request)  # the issuance has ended
