"""An issuer returning an already expired certificate (cert-manager #8610): the issuance fails
and the trigger backs off, instead of storing it and re-issuing at once, forever."""

from datetime import UTC, datetime, timedelta

from cryptography import x509

from certpilot.api.certificate import CertificatePrivateKey
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.controllers.certificates.issuing.issuing import (
    failed_issuance_status,
    returned_certificate_problem,
)
from certpilot.controllers.certificates.policies import reasons
from certpilot.controllers.certificates.policies.policy_input import PolicyInput
from certpilot.controllers.certificates.policies.trigger_decision import trigger_decision
from certpilot.controllers.certificates.requestmanager.requestmanager import build_request
from certpilot.controllers.options import ControllerOptions
from certpilot.testing.builders import certificate, ec_key, issued_secret, self_signed_for

NOW = datetime(2030, 1, 1, tzinfo=UTC)
KEY = ec_key()
CERT = certificate("web", private_key=CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256))
OPTIONS = ControllerOptions()


def expired_leaf() -> x509.Certificate:
    pem = self_signed_for(CERT, KEY, not_before=NOW - timedelta(days=2), lifetime=timedelta(days=1))
    return x509.load_pem_x509_certificate(pem)


def test_an_expired_certificate_is_refused_naming_its_not_after() -> None:
    problem = returned_certificate_problem(expired_leaf(), NOW)
    assert problem is not None and "already expired" in problem and "2029-12-31" in problem


def test_a_valid_certificate_is_accepted() -> None:
    pem = self_signed_for(CERT, KEY, not_before=NOW - timedelta(hours=1))
    assert returned_certificate_problem(x509.load_pem_x509_certificate(pem), NOW) is None


def test_after_refusing_an_expired_certificate_the_trigger_backs_off() -> None:
    request = build_request(CERT, KEY, 1, "k")
    problem = returned_certificate_problem(expired_leaf(), NOW)
    assert problem is not None
    status, message = failed_issuance_status(CERT, request.name, reasons.INVALID_CERTIFICATE, problem, NOW)
    failed = CERT.model_copy(update={"status": status})
    # The Secret is missing (first issuance): without the backoff the trigger would issue at once.
    decision = trigger_decision(PolicyInput(failed, None, None, NOW + timedelta(seconds=1)), request, OPTIONS)
    assert decision.issue is None
    assert decision.requeue_after == OPTIONS.issuance_backoff_initial - timedelta(seconds=1)
    assert "already expired" in message


def test_storing_the_expired_certificate_would_have_triggered_reissuance_at_once() -> None:
    """The loop the refusal prevents: a stored expired certificate makes the trigger issue now."""
    secret = issued_secret(CERT, KEY, not_before=NOW - timedelta(days=2), lifetime=timedelta(days=1))
    decision = trigger_decision(PolicyInput(CERT, secret, None, NOW), None, OPTIONS)
    assert decision.issue is not None and decision.issue.reason == reasons.EXPIRED
