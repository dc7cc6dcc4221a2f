"""The trigger and the issuing controller set Ready in their own status writes, exactly as readiness
would, and readiness leaves a Certificate the trigger is about to issue to the trigger's write:
readiness then finds nothing to write (3 Certificate status writes per issuance, not 5).
And the writers' copies never modify the cache's objects."""

from datetime import UTC, datetime, timedelta

from certpilot.api.certificate import Certificate, CertificatePrivateKey, CertificateStatus
from certpilot.api.conditions import ISSUING, READY, get_condition, set_condition
from certpilot.api.core import TLS_CERT_KEY, Secret
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.api.meta import OwnerReference
from certpilot.controllers.certificates.conditions import status_of, with_status
from certpilot.controllers.certificates.issuing.issuing import issued_status
from certpilot.controllers.certificates.issuing.secret_data import KeyPair, KeystorePasswords, desired_secret
from certpilot.controllers.certificates.memos import CertificateMemos
from certpilot.controllers.certificates.policies import reasons
from certpilot.controllers.certificates.policies.policy_input import PolicyInput
from certpilot.controllers.certificates.policies.ready_status import (
    already_has_readiness,
    readiness_status,
    ready_condition,
    with_readiness,
)
from certpilot.controllers.certificates.policies.reasons import Reason
from certpilot.controllers.certificates.readiness.certificate_readiness import is_left_to_the_trigger
from certpilot.controllers.certificates.requestmanager.requestmanager import build_request
from certpilot.controllers.certificates.trigger.trigger import issuing_status
from certpilot.controllers.options import ControllerOptions
from certpilot.testing.builders import certificate, ec_key, issued_secret, self_signed_for

NOW = datetime(2030, 1, 1, tzinfo=UTC)
LATER = NOW + timedelta(seconds=5)
KEY = ec_key()
EC = CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256)
CERT = certificate("web", private_key=EC)
RENEWING = Reason(reasons.RENEWING, "Renewing certificate as renewal was scheduled at ...")


def issued_secret_for(cert: Certificate) -> Secret:
    pem = self_signed_for(cert, KEY, not_before=NOW - timedelta(days=1), lifetime=timedelta(days=90))
    return desired_secret(
        cert, None, KeyPair(KEY, pem), KeystorePasswords(), owner_ref=False, reuse_keystores=False
    )


def test_trigger_on_a_new_certificate_writes_issuing_and_readiness_s_ready_false_at_once() -> None:
    i = PolicyInput(CERT, None, None, NOW)
    status = issuing_status(i, Reason(reasons.DOES_NOT_EXIST, "Issuing certificate as Secret does not exist"))
    assert [(c.type, c.status) for c in status.conditions or ()] == [(ISSUING, "True"), (READY, "False")]
    ready = get_condition(status.conditions, READY)
    assert ready is not None and ready.reason == reasons.DOES_NOT_EXIST
    # Readiness, reconciling the Certificate as written, computes the very same status: no write.
    written = with_status(CERT, status)
    assert readiness_status(PolicyInput(written, None, None, LATER)) == status


def test_trigger_renewing_a_ready_certificate_leaves_ready_true_and_its_transition_time() -> None:
    secret = issued_secret(CERT, KEY, not_before=NOW - timedelta(days=80), lifetime=timedelta(days=90))
    ready = readiness_status(PolicyInput(CERT, secret, None, NOW - timedelta(days=1)))
    cert = with_status(CERT, ready)
    status = issuing_status(PolicyInput(cert, secret, None, NOW), RENEWING)
    before, after = get_condition(ready.conditions, READY), get_condition(status.conditions, READY)
    assert before is not None and after == before
    assert get_condition(status.conditions, ISSUING) is not None
    assert readiness_status(PolicyInput(with_status(cert, status), secret, None, LATER)) == status


def test_issuing_completion_sets_ready_true_as_readiness_computes_it_for_the_new_secret() -> None:
    conditions = set_condition(None, ISSUING, "True", reasons.DOES_NOT_EXIST, "m", NOW, 1)
    conditions = set_condition(conditions, READY, "False", reasons.DOES_NOT_EXIST, "m", NOW, 1)
    issuing = with_status(
        CERT,
        CertificateStatus(
            conditions=conditions, next_private_key_secret_name="web-abcde", failed_issuance_attempts=1
        ),
    )
    request = build_request(issuing, KEY, 1, "web-abcde")
    secret = issued_secret_for(issuing)
    status = issued_status(issuing, secret, request, NOW, CertificateMemos())
    assert status.revision == 1
    assert status.next_private_key_secret_name is None and status.failed_issuance_attempts is None
    assert [(c.type, c.status) for c in status.conditions or ()] == [(READY, "True")]
    assert status.not_after is not None and status.renewal_time is not None
    # Readiness then reads the same Secret and the request of the new revision: nothing to write.
    written = with_status(issuing, status)
    again = readiness_status(PolicyInput(written, secret, request, LATER))
    assert again == status


def test_status_copies_share_no_mutable_part_with_the_cached_certificate() -> None:
    conditions = set_condition(None, READY, "True", READY, "m", NOW, 1)
    cached = with_status(CERT, CertificateStatus(conditions=conditions, revision=1))
    before = cached.model_dump()
    copy = status_of(cached)
    assert cached.status is not None
    assert copy.conditions is not cached.status.conditions
    assert copy.conditions is not None
    copy.conditions.append(set_condition(None, ISSUING, "True", "R", "m", NOW, 1)[0])
    copy.revision = 2
    issuing_status(PolicyInput(cached, None, None, NOW), RENEWING)
    assert cached.model_dump() == before


def test_desired_secret_leaves_the_existing_secret_s_metadata_untouched() -> None:
    existing = issued_secret(CERT, KEY, not_before=NOW, lifetime=timedelta(days=90))
    existing.metadata.labels = {"team": "a"}
    existing.metadata.annotations = {"note": "x"}
    existing.metadata.finalizers = ["keep"]
    existing.metadata.owner_references = [
        OwnerReference(api_version="v1", kind="ConfigMap", name="other", uid="other-uid")
    ]
    before = existing.model_dump()
    pair = KeyPair(KEY, existing.get_data(TLS_CERT_KEY) or b"")
    desired = desired_secret(CERT, existing, pair, KeystorePasswords(), owner_ref=True, reuse_keystores=True)
    assert existing.model_dump() == before
    meta = desired.metadata
    assert meta.labels is not existing.metadata.labels and (meta.labels or {})["team"] == "a"
    assert meta.annotations is not existing.metadata.annotations
    assert meta.finalizers == ["keep"] and meta.finalizers is not existing.metadata.finalizers
    assert meta.owner_references is not None and len(meta.owner_references) == 2


def test_readiness_leaves_a_new_certificate_s_ready_to_the_trigger_s_issuing_write() -> None:
    new = PolicyInput(CERT, None, None, NOW)
    assert is_left_to_the_trigger(new, None, ControllerOptions())
    issuing = with_status(CERT, issuing_status(new, RENEWING))
    assert not is_left_to_the_trigger(PolicyInput(issuing, None, None, NOW), None, ControllerOptions())


def test_readiness_writes_ready_itself_while_the_trigger_backs_off_or_has_nothing_to_do() -> None:
    failed = with_status(CERT, CertificateStatus(last_failure_time=NOW, failed_issuance_attempts=1))
    assert not is_left_to_the_trigger(PolicyInput(failed, None, None, NOW), None, ControllerOptions())
    secret = issued_secret_for(CERT)
    good = PolicyInput(CERT, secret, None, NOW)
    assert not is_left_to_the_trigger(good, None, ControllerOptions())


def test_already_has_readiness_is_true_exactly_when_with_readiness_changes_nothing() -> None:
    secret = issued_secret_for(CERT)
    i = PolicyInput(CERT, secret, None, NOW)
    ready = ready_condition(i)
    current = readiness_status(i, ready)
    condition = get_condition(current.conditions, READY)
    assert condition is not None
    variants = [
        CertificateStatus(),
        current,
        current.model_copy(update={"not_after": NOW}),
        current.model_copy(update={"renewal_time": None}),
        current.model_copy(update={"conditions": [condition.model_copy(update={"message": "other"})]}),
        current.model_copy(update={"conditions": [condition.model_copy(update={"observed_generation": 7})]}),
        current.model_copy(
            update={"conditions": [condition.model_copy(update={"last_transition_time": None})]}
        ),
        current.model_copy(update={"conditions": [condition, condition]}),
    ]
    later = PolicyInput(CERT, secret, None, LATER)
    found = [already_has_readiness(status, later, ready) for status in variants]
    assert found == [with_readiness(status, later, ready) == status for status in variants]
    assert found[1] and not any(found[:1] + found[2:])
