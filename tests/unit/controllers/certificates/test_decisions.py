"""Trigger decision, next-key choices, request staleness, revision pruning, post-issuance sync."""

from datetime import UTC, datetime, timedelta

from certpilot.api import annotations as ann
from certpilot.api.certificate import (
    Certificate,
    CertificateAdditionalOutputFormat,
    CertificatePrivateKey,
    CertificateSecretTemplate,
    CertificateStatus,
)
from certpilot.api.certificaterequest import CertificateRequestStatus
from certpilot.api.enums import AdditionalOutputFormatType, PrivateKeyAlgorithm, RotationPolicy
from certpilot.api.meta import Condition
from certpilot.controllers.certificates.issuing.post_issuance import secret_needs_sync
from certpilot.controllers.certificates.issuing.secret_data import KeyPair, KeystorePasswords, desired_secret
from certpilot.controllers.certificates.keymanager.next_key import (
    adoptable_next_key,
    next_key_secret,
    reusable_current_key,
    stale_next_keys,
)
from certpilot.controllers.certificates.memos import CertificateMemos
from certpilot.controllers.certificates.policies import reasons
from certpilot.controllers.certificates.policies.policy_input import PolicyInput
from certpilot.controllers.certificates.policies.ready_status import readiness_status
from certpilot.controllers.certificates.policies.trigger_decision import trigger_decision
from certpilot.controllers.certificates.requestmanager.requestmanager import build_request, request_is_stale
from certpilot.controllers.certificates.revisionmanager.revisionmanager import requests_to_prune
from certpilot.controllers.options import ControllerOptions
from certpilot.pki.keys import encode_private_key, parse_private_key
from certpilot.testing.builders import certificate, ec_key, issued_secret

NOW = datetime(2030, 1, 1, tzinfo=UTC)
KEY = ec_key()
EC = CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256)
CERT = certificate("web", private_key=EC)
GOOD = issued_secret(CERT, KEY, not_before=NOW - timedelta(days=1), lifetime=timedelta(days=90))
OPTIONS = ControllerOptions()


def failed(cert: Certificate = CERT) -> Certificate:
    c = cert.model_copy(deep=True)
    c.status = CertificateStatus(last_failure_time=NOW - timedelta(minutes=30), failed_issuance_attempts=2)
    return c


def test_trigger_requeues_at_the_renewal_time() -> None:
    decision = trigger_decision(PolicyInput(CERT, GOOD, None, NOW), None, OPTIONS)
    assert decision.issue is None
    # 2/3 of 90 days from NOW - 1d, moved earlier by the jitter: at most a tenth of the 30-day window.
    assert decision.requeue_after is not None
    assert timedelta(days=59) - timedelta(days=3) <= decision.requeue_after <= timedelta(days=59)


def test_trigger_and_readiness_renew_a_percentage_certificate_when_that_share_of_it_remains() -> None:
    # A 1h certificate with renewBeforePercentage 25 renews 45 minutes after notBefore (cert-manager).
    cert = certificate("web", private_key=EC, duration="1h", renew_before_percentage=25)
    secret = issued_secret(cert, KEY, not_before=NOW, lifetime=timedelta(hours=1))
    i = PolicyInput(cert, secret, None, NOW)
    requeue = trigger_decision(i, None, OPTIONS).requeue_after
    # The jitter moves it earlier by at most a tenth of the 15 minutes left.
    assert requeue is not None and timedelta(minutes=43, seconds=30) <= requeue <= timedelta(minutes=45)
    assert readiness_status(i).renewal_time == NOW + requeue


def test_trigger_issues_with_the_reason() -> None:
    decision = trigger_decision(PolicyInput(CERT, None, None, NOW), None, OPTIONS)
    assert decision.issue is not None and decision.issue.reason == reasons.DOES_NOT_EXIST


def test_trigger_backs_off_after_failures() -> None:
    cert = failed()
    decision = trigger_decision(PolicyInput(cert, None, None, NOW), build_request(cert, KEY, 1, "k"), OPTIONS)
    assert decision.issue is None
    assert decision.requeue_after == timedelta(hours=1, minutes=30)  # 2h after the second failure


def test_a_changed_spec_skips_the_backoff() -> None:
    failed_request = build_request(CERT, KEY, 1, "k")
    changed = failed(certificate("web", private_key=EC, dns_names=["new.example.com"]))
    decision = trigger_decision(PolicyInput(changed, None, None, NOW), failed_request, OPTIONS)
    assert decision.issue is not None


def test_rotation_never_reuses_a_fitting_key_only() -> None:
    never = certificate(
        "web",
        private_key=CertificatePrivateKey(
            algorithm=PrivateKeyAlgorithm.ECDSA, rotation_policy=RotationPolicy.NEVER
        ),
    )
    assert reusable_current_key(never, GOOD, CertificateMemos()) == GOOD.get_data("tls.key")
    assert reusable_current_key(CERT, GOOD, CertificateMemos()) is None
    rsa_never = certificate("web", private_key=CertificatePrivateKey(rotation_policy=RotationPolicy.NEVER))
    assert reusable_current_key(rsa_never, GOOD, CertificateMemos()) is None


def test_next_key_secret_shape_and_adoption() -> None:
    cert = CERT.model_copy(deep=True)
    cert.metadata.uid = "uid-1"
    secret = next_key_secret(cert, encode_private_key(KEY))
    assert secret.name.startswith("web-") and len(secret.name) == len("web-") + 5
    assert secret.metadata.labels == {
        "cert-manager.io/next-private-key": "true",
        "controller.cert-manager.io/fao": "true",
    }
    assert secret.metadata.owner_references and secret.metadata.owner_references[0].uid == "uid-1"
    assert adoptable_next_key(cert, [secret], CertificateMemos()) is secret
    wrong = certificate("web", private_key=CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.RSA))
    assert adoptable_next_key(wrong, [secret], CertificateMemos()) is None
    other = next_key_secret(cert, encode_private_key(KEY))
    assert stale_next_keys([secret, other], keep=secret.name) == [other]


def test_request_stale_reasons() -> None:
    request = build_request(CERT, KEY, 1, "k")
    assert request_is_stale(request, CERT, KEY, None, CertificateMemos()) is None
    assert "different private key" in (
        request_is_stale(request, CERT, ec_key(), None, CertificateMemos()) or ""
    )
    changed = certificate("web", private_key=EC, dns_names=["x.example.com"])
    assert "spec" in (request_is_stale(request, changed, KEY, None, CertificateMemos()) or "")


def test_request_failed_in_an_earlier_attempt_is_stale() -> None:
    request = build_request(CERT, KEY, 1, "k")
    request.status = CertificateRequestStatus(
        conditions=[Condition(type="Ready", status="False", reason="Failed", last_transition_time=NOW)],
        failure_time=NOW,
    )
    cert = CERT.model_copy(deep=True)
    cert.status = CertificateStatus(
        conditions=[
            Condition(
                type="Issuing",
                status="True",
                reason="Renewing",
                last_transition_time=NOW + timedelta(hours=2),
            )
        ]
    )
    assert "earlier" in (request_is_stale(request, cert, KEY, None, CertificateMemos()) or "")


def test_request_names_annotations_and_spec() -> None:
    request = build_request(CERT, KEY, 3, "web-abcde")
    assert request.name == "web-3"
    annotations = request.metadata.annotations or {}
    assert annotations[ann.CERTIFICATE_REVISION] == "3"
    assert annotations[ann.PRIVATE_KEY_SECRET_NAME] == "web-abcde"
    assert annotations[ann.CERTIFICATE_NAME] == "web"
    assert request.spec.duration == "2160h0m0s"  # Go's Duration.String(), as cert-manager writes it
    assert request.spec.usages == ["digital signature", "key encipherment"]


def test_revision_pruning_keeps_the_newest_and_in_flight() -> None:
    requests = [build_request(CERT, KEY, n, "k") for n in (1, 2, 3, 4)]
    pruned = requests_to_prune(requests, current_revision=3, limit=1)
    assert sorted(r.name for r in pruned) == ["web-1", "web-2"]
    assert [r.name for r in requests_to_prune(requests, 3, 2)] == ["web-1"]


def pair() -> KeyPair:
    return KeyPair(parse_private_key(GOOD.get_data("tls.key") or b""), GOOD.get_data("tls.crt") or b"")


def test_desired_secret_carries_annotations_template_and_outputs() -> None:
    cert = certificate(
        "web",
        private_key=EC,
        secret_template=CertificateSecretTemplate(labels={"team": "a"}, annotations={"note": "x"}),
        additional_output_formats=[
            CertificateAdditionalOutputFormat(type=AdditionalOutputFormatType.COMBINED_PEM)
        ],
    )
    secret = desired_secret(cert, None, pair(), KeystorePasswords(), owner_ref=False, reuse_keystores=False)
    assert secret.type == "kubernetes.io/tls"
    assert (secret.metadata.labels or {})["team"] == "a"
    annotations = secret.metadata.annotations or {}
    assert annotations["note"] == "x"
    assert annotations[ann.CERTIFICATE_NAME] == "web"
    assert annotations[ann.ISSUER_KIND] == "Issuer"
    assert annotations[ann.ALT_NAMES] == "web.example.com"
    combined = secret.get_data("tls-combined.pem") or b""
    assert combined.startswith(GOOD.get_data("tls.key") or b"-")
    assert secret.metadata.owner_references is None


def test_post_issuance_detects_template_drift_and_not_a_synced_secret() -> None:
    cert = certificate("web", private_key=EC, secret_template=CertificateSecretTemplate(labels={"team": "a"}))
    none = KeystorePasswords()
    existing = desired_secret(CERT, None, pair(), none, owner_ref=False, reuse_keystores=False)
    desired = desired_secret(cert, existing, pair(), none, owner_ref=False, reuse_keystores=True)
    found = secret_needs_sync(existing, desired)
    assert found is not None and found.reason == reasons.SECRET_TEMPLATE_MISMATCH
    assert secret_needs_sync(desired, desired) is None


def test_desired_secret_data_keeps_foreign_keys_first_then_ours_in_order() -> None:
    # The stored JSON keeps this order; stale managed keys (an output no longer asked for) go.
    cert = certificate(
        "web",
        private_key=EC,
        additional_output_formats=[CertificateAdditionalOutputFormat(type=AdditionalOutputFormatType.DER)],
    )
    existing = GOOD.model_copy(
        update={"data": {"z-user": "bWluZQ==", **(GOOD.data or {}), "tls-combined.pem": "AA=="}}
    )
    with_ca = KeyPair(pair().key, pair().chain_pem, b"ca")
    secret = desired_secret(
        cert, existing, with_ca, KeystorePasswords(), owner_ref=False, reuse_keystores=True
    )
    assert list(secret.data or {}) == ["z-user", "tls.crt", "tls.key", "ca.crt", "key.der"]
    assert (secret.data or {})["z-user"] == "bWluZQ=="
    assert secret.get_data("tls.crt") == with_ca.chain_pem
    assert secret.get_data("tls.key") == encode_private_key(with_ca.key)
    assert secret.get_data("ca.crt") == b"ca"
    assert "data" in secret.model_fields_set
