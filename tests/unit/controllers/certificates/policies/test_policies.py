"""The trigger and readiness policy chains, each reason from a crafted Secret/request, fixed `now`."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from certpilot.api import annotations as ann
from certpilot.api.certificate import Certificate, CertificatePrivateKey
from certpilot.api.conditions import READY
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.controllers.certificates.policies import reasons
from certpilot.controllers.certificates.policies.policy_chains import needs_issuance, not_ready_reason
from certpilot.controllers.certificates.policies.policy_input import PolicyInput
from certpilot.controllers.certificates.policies.ready_status import readiness_status, ready_condition
from certpilot.controllers.certificates.requestmanager.requestmanager import build_request
from certpilot.pki.keys import encode_private_key
from certpilot.testing.builders import certificate, ec_key, issued_secret, secret_tls

NOW = datetime(2030, 1, 1, tzinfo=UTC)
KEY = ec_key()
OTHER_KEY = ec_key()


def ecdsa_cert(**fields: Any) -> Certificate:
    return certificate(
        "web", private_key=CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256), **fields
    )


CERT = ecdsa_cert(dns_names=["web.example.com"])
GOOD = issued_secret(CERT, KEY, not_before=NOW - timedelta(days=1), lifetime=timedelta(days=90))


def reason_for(secret, cert=CERT, request=None, now=NOW) -> str | None:  # type: ignore[no-untyped-def]
    found = needs_issuance(PolicyInput(cert, secret, request, now))
    return found.reason if found else None


def test_a_good_secret_needs_nothing() -> None:
    assert reason_for(GOOD) is None
    assert not_ready_reason(PolicyInput(CERT, GOOD, None, NOW)) is None


def test_missing_secret() -> None:
    assert reason_for(None) == reasons.DOES_NOT_EXIST


def test_missing_key_beats_a_wrong_issuer() -> None:
    secret = secret_tls("web-tls", cert_pem=GOOD.get_data("tls.crt"), annotations={ann.ISSUER_NAME: "other"})
    found = needs_issuance(PolicyInput(CERT, secret, None, NOW))
    assert found is not None
    assert found.reason == reasons.MISSING_DATA
    assert "private key" in found.message


def test_unparseable_certificate() -> None:
    secret = GOOD.model_copy(deep=True)
    secret.set_data("tls.crt", b"not a certificate")
    assert reason_for(secret) == reasons.INVALID_CERTIFICATE


def test_unparseable_key_and_message_quotes_no_key() -> None:
    secret = GOOD.model_copy(deep=True)
    secret.set_data("tls.key", b"-----BEGIN PRIVATE KEY-----\nSECRETSTUFF\n-----END PRIVATE KEY-----\n")
    found = needs_issuance(PolicyInput(CERT, secret, None, NOW))
    assert found is not None and found.reason == reasons.INVALID_KEY_PAIR
    assert "SECRETSTUFF" not in found.message


def test_key_not_matching_the_certificate() -> None:
    secret = GOOD.model_copy(deep=True)
    secret.set_data("tls.key", encode_private_key(OTHER_KEY))
    assert reason_for(secret) == reasons.INVALID_KEY_PAIR


def test_key_algorithm_changed_in_spec() -> None:
    cert = certificate(
        "web",
        dns_names=["web.example.com"],
        private_key=CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=384),
    )
    assert reason_for(GOOD, cert) == reasons.SECRET_MISMATCH


def test_issuer_changed() -> None:
    cert = ecdsa_cert(dns_names=["web.example.com"], issuer="another")
    found = needs_issuance(PolicyInput(cert, GOOD, None, NOW))
    assert found is not None and found.reason == reasons.INCORRECT_ISSUER
    assert "Issuer.cert-manager.io/another" in found.message


def test_unset_kind_and_group_annotations_mean_the_defaults() -> None:
    secret = GOOD.model_copy(deep=True)
    secret.metadata.annotations = {ann.ISSUER_NAME: "ca", ann.CERTIFICATE_NAME: "web"}
    assert reason_for(secret) is None


def test_secret_written_for_another_certificate() -> None:
    secret = GOOD.model_copy(deep=True)
    secret.metadata.annotations = {**(secret.metadata.annotations or {}), ann.CERTIFICATE_NAME: "other"}
    assert reason_for(secret) == reasons.INCORRECT_CERTIFICATE


def test_dns_names_changed_against_the_current_request() -> None:
    request = build_request(CERT, KEY, 1, "web-next")
    changed = ecdsa_cert(dns_names=["web.example.com", "www.example.com"])
    found = needs_issuance(PolicyInput(changed, GOOD, request, NOW))
    assert found is not None and found.reason == reasons.REQUEST_CHANGED
    assert "dnsNames" in found.message


def test_duration_changed_against_the_current_request() -> None:
    request = build_request(CERT, KEY, 1, "web-next")
    changed = ecdsa_cert(dns_names=["web.example.com"], duration="48h")
    found = needs_issuance(PolicyInput(changed, GOOD, request, NOW))
    assert found is not None and "spec.duration" in found.message


def test_unchanged_request_is_fine() -> None:
    assert reason_for(GOOD, CERT, build_request(CERT, KEY, 1, "web-next")) is None


def test_dns_names_changed_without_a_request_compares_the_certificate() -> None:
    changed = ecdsa_cert(dns_names=["other.example.com"])
    assert reason_for(GOOD, changed) == reasons.SECRET_MISMATCH


def test_renewal_due() -> None:
    # 90 days from NOW-1d: renewal at 2/3 = NOW + 59d, moved earlier by up to 3 days of jitter.
    due = PolicyInput(CERT, GOOD, None, NOW).renewal_time
    assert due is not None and NOW + timedelta(days=56) <= due <= NOW + timedelta(days=59)
    assert reason_for(GOOD, now=due - timedelta(seconds=1)) is None
    assert reason_for(GOOD, now=due) == reasons.RENEWING


def test_expired() -> None:
    assert reason_for(GOOD, now=NOW + timedelta(days=89)) == reasons.EXPIRED


@pytest.mark.parametrize(
    ("days", "status", "reason"),
    [(0, "True", READY), (60, "True", READY), (89, "False", reasons.EXPIRED)],
)
def test_readiness_stays_ready_while_renewing(days: int, status: str, reason: str) -> None:
    assert ready_condition(PolicyInput(CERT, GOOD, None, NOW + timedelta(days=days)))[0] == status
    assert ready_condition(PolicyInput(CERT, GOOD, None, NOW + timedelta(days=days)))[1].reason == reason


def test_readiness_status_times() -> None:
    status = readiness_status(PolicyInput(CERT, GOOD, None, NOW))
    assert status.not_before == NOW - timedelta(days=1)
    assert status.not_after == NOW + timedelta(days=89)
    assert status.renewal_time is not None
    assert NOW + timedelta(days=56) <= status.renewal_time <= NOW + timedelta(days=59)
    assert status.conditions is not None and status.conditions[0].type == "Ready"
    missing = readiness_status(PolicyInput(CERT, None, None, NOW))
    assert missing.not_after is None
    assert missing.conditions is not None and missing.conditions[0].reason == reasons.DOES_NOT_EXIST
