"""The versioned part of each policy chain is remembered per version of the Secret, the spec and
the current request; the clock's checks run every time; the two chains never share a verdict."""

from datetime import UTC, datetime, timedelta

from certpilot.api import annotations as ann
from certpilot.api.certificate import Certificate, CertificatePrivateKey
from certpilot.api.core import Secret
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.controllers.certificates import policies, reasons
from certpilot.controllers.certificates.policies import needs_issuance, not_ready_reason
from certpilot.controllers.certificates.policy_input import TLS_PRIVATE_KEY_KEY, PolicyInput
from certpilot.testing.builders import certificate, ec_key, issued_secret

NOW = datetime(2030, 1, 1, tzinfo=UTC)
KEY = ec_key()
CERT = certificate("web", private_key=CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256))
GOOD = issued_secret(CERT, KEY, not_before=NOW - timedelta(days=1), lifetime=timedelta(days=90))


def stored_cert(cert: Certificate, generation: int) -> Certificate:
    copy = cert.model_copy(deep=True)
    copy.metadata.uid, copy.metadata.generation = "uid-cert", generation
    return copy


def stored_secret(secret: Secret, rv: str) -> Secret:
    copy = secret.model_copy(deep=True)
    copy.metadata.uid, copy.metadata.resource_version = "uid-secret", rv
    return copy


def reason_of(found: object) -> str | None:
    return getattr(found, "reason", None)


def test_the_clock_s_checks_run_every_time_though_the_verdict_is_remembered() -> None:
    policies.forget_all()
    cert, secret = stored_cert(CERT, 1), stored_secret(GOOD, "1")
    assert needs_issuance(PolicyInput(cert, secret, None, NOW)) is None
    assert not_ready_reason(PolicyInput(cert, secret, None, NOW)) is None
    expired = PolicyInput(cert, secret, None, NOW + timedelta(days=100))
    assert reason_of(needs_issuance(expired)) == reasons.EXPIRED
    assert reason_of(not_ready_reason(expired)) == reasons.EXPIRED


def test_a_new_secret_or_spec_version_is_judged_afresh() -> None:
    policies.forget_all()
    cert = stored_cert(CERT, 1)
    assert needs_issuance(PolicyInput(cert, stored_secret(GOOD, "1"), None, NOW)) is None
    without_key = stored_secret(GOOD, "2")
    without_key.data = {k: v for k, v in (without_key.data or {}).items() if k != TLS_PRIVATE_KEY_KEY}
    assert reason_of(needs_issuance(PolicyInput(cert, without_key, None, NOW))) == reasons.MISSING_DATA
    respec = stored_cert(
        certificate("web", dns_names=["other.example.com"], private_key=CERT.spec.private_key), 2
    )
    found = needs_issuance(PolicyInput(respec, stored_secret(GOOD, "1"), None, NOW))
    assert reason_of(found) == reasons.SECRET_MISMATCH


def test_the_trigger_s_and_readiness_s_verdicts_are_kept_apart() -> None:
    policies.forget_all()
    other = stored_secret(GOOD, "1")
    other.metadata.annotations = {**(other.metadata.annotations or {}), ann.CERTIFICATE_NAME: "another"}
    i = PolicyInput(stored_cert(CERT, 1), other, None, NOW)
    assert not_ready_reason(i) is None
    assert reason_of(needs_issuance(i)) == reasons.INCORRECT_CERTIFICATE
    policies.forget_all()
    assert reason_of(needs_issuance(i)) == reasons.INCORRECT_CERTIFICATE
    assert not_ready_reason(i) is None
