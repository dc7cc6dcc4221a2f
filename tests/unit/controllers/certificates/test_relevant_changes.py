"""Which Certificate changes wake which Certificate controller, and the parse-once cache."""

from datetime import UTC, datetime, timedelta

import pytest

from certpilot.api import annotations as ann
from certpilot.api.certificate import Certificate, CertificateStatus
from certpilot.api.conditions import ISSUING, READY, set_condition
from certpilot.api.core import Secret
from certpilot.controllers.certificates import memos as memos_module
from certpilot.controllers.certificates import relevant_changes as changes
from certpilot.controllers.certificates.memos import CertificateMemos
from certpilot.controllers.certificates.parsed_secrets import parse_leaf
from certpilot.controllers.certificates.policies.policy_input import (
    TLS_CERT_KEY,
    TLS_PRIVATE_KEY_KEY,
    PolicyInput,
)
from certpilot.controllers.certificates.policies.ready_status import readiness_status
from certpilot.controllers.certificates.requestmanager.requestmanager import build_request
from certpilot.testing.builders import certificate, ec_key, issued_secret

NOW = datetime(2030, 1, 1, tzinfo=UTC)
BASE = certificate("web")


def changed(cert: Certificate, rv: str = "2", **status: object) -> Certificate:
    new = cert.model_copy(deep=True)
    new.metadata.resource_version = rv
    new.status = (new.status or CertificateStatus()).model_copy(update=status)
    return new


def with_condition(cert: Certificate, type_: str, value: str) -> Certificate:
    conditions = set_condition(
        cert.status.conditions if cert.status else None, type_, value, "R", "m", NOW, 1
    )
    return changed(cert, conditions=conditions)


ISSUING_CERT = with_condition(BASE, ISSUING, "True")


def test_only_resource_version_changing_is_relevant_to_no_controller() -> None:
    same = changed(BASE)
    for relevant in (
        changes.TRIGGER_CHANGES,
        changes.KEY_MANAGER_CHANGES,
        changes.ISSUING_CHANGES,
        changes.READINESS_CHANGES,
        changes.REVISION_MANAGER_CHANGES,
    ):
        assert not relevant(BASE, same)


def test_spec_and_metadata_changes_reach_every_controller_that_acts_on_the_certificate() -> None:
    respec = BASE.model_copy(deep=True)
    respec.spec.dns_names = ["other.example.com"]
    relabelled = BASE.model_copy(deep=True)
    relabelled.metadata.labels = {"team": "b"}
    for new in (respec, relabelled):
        assert changes.TRIGGER_CHANGES(BASE, new)
        assert changes.KEY_MANAGER_CHANGES(BASE, new)
        assert changes.ISSUING_CHANGES(BASE, new)
        assert changes.READINESS_CHANGES(BASE, new)
        assert changes.REVISION_MANAGER_CHANGES(BASE, new)
        assert not changes.REQUEST_MANAGER_CHANGES(BASE, new), "not issuing: it returns at once"


def test_readiness_writes_wake_only_readiness() -> None:
    ready = with_condition(BASE, READY, "True")
    timed = changed(ready, not_after=NOW + timedelta(days=90), renewal_time=NOW + timedelta(days=60))
    for new in (ready, timed):
        assert changes.READINESS_CHANGES(BASE, new), "another writer's Ready is set right again"
        assert not changes.TRIGGER_CHANGES(BASE, new)
        assert not changes.KEY_MANAGER_CHANGES(BASE, new)
        assert not changes.ISSUING_CHANGES(BASE, new)
        assert not changes.REVISION_MANAGER_CHANGES(BASE, new)


def test_issuing_starting_wakes_the_issuance_controllers_not_trigger_or_readiness() -> None:
    assert changes.KEY_MANAGER_CHANGES(BASE, ISSUING_CERT)
    assert changes.REQUEST_MANAGER_CHANGES(BASE, ISSUING_CERT)
    assert changes.ISSUING_CHANGES(BASE, ISSUING_CERT)
    assert not changes.TRIGGER_CHANGES(BASE, ISSUING_CERT)
    assert not changes.READINESS_CHANGES(BASE, ISSUING_CERT)
    assert not changes.REVISION_MANAGER_CHANGES(BASE, ISSUING_CERT)
    keyed = changed(ISSUING_CERT, rv="3", next_private_key_secret_name="web-abcde")
    assert changes.REQUEST_MANAGER_CHANGES(ISSUING_CERT, keyed)
    assert changes.ISSUING_CHANGES(ISSUING_CERT, keyed)


def test_issuing_ending_wakes_trigger_readiness_and_revision_manager() -> None:
    done = changed(BASE, rv="4", revision=1)
    assert changes.TRIGGER_CHANGES(ISSUING_CERT, done)
    assert changes.READINESS_CHANGES(ISSUING_CERT, done)
    assert changes.REVISION_MANAGER_CHANGES(ISSUING_CERT, done)
    assert changes.KEY_MANAGER_CHANGES(ISSUING_CERT, done)
    assert not changes.REQUEST_MANAGER_CHANGES(ISSUING_CERT, done)
    failed = changed(
        with_condition(BASE, ISSUING, "False"), last_failure_time=NOW, failed_issuance_attempts=1
    )
    assert changes.TRIGGER_CHANGES(ISSUING_CERT, failed), "the backoff reads the failure fields"


def test_owner_filters_read_the_owning_certificate_from_the_cache() -> None:
    key = ec_key()
    issuing = ISSUING_CERT.model_copy(deep=True)
    issuing.metadata.uid = "uid-web"
    request = build_request(issuing, key, 1, "web-key")

    class OneCertificate:
        def get(self, kind: type[Certificate], name: str, namespace: str | None = None) -> Certificate:
            return issuing

    cache = OneCertificate()
    not_issuing = changes.owner_certificate_keys_when(cache, changes.owner_is_not_issuing)  # type: ignore[arg-type]
    while_issuing = changes.owner_certificate_keys_when(cache, changes.owner_is_issuing)  # type: ignore[arg-type]
    current = changes.owner_certificate_keys_when(cache, changes.request_of_current_revision)  # type: ignore[arg-type]
    assert list(not_issuing(request)) == []
    assert [str(k) for k in while_issuing(request)] == ["default/web"]
    assert list(current(request)) == [], "revision 1 is not the current revision (0)"
    request.metadata.annotations = {**(request.metadata.annotations or {}), ann.CERTIFICATE_REVISION: "0"}
    assert [str(k) for k in current(request)] == ["default/web"]


def stored(secret: Secret, rv: str) -> Secret:
    copy = secret.model_copy(deep=True)
    copy.metadata.uid = "uid-secret"
    copy.metadata.resource_version = rv
    return copy


def test_a_secret_version_is_parsed_once_and_a_new_version_again() -> None:
    memos = CertificateMemos()
    cert = certificate("web")
    first = stored(issued_secret(cert, ec_key(), not_before=NOW, lifetime=timedelta(days=90)), "1")
    a = PolicyInput(cert, first, None, NOW, memos)
    b = PolicyInput(cert, first.model_copy(deep=True), None, NOW, memos)
    assert a.parsed_key.key is b.parsed_key.key
    assert a.parsed_certificate.certificate is b.parsed_certificate.certificate
    second = stored(issued_secret(cert, ec_key(), not_before=NOW, lifetime=timedelta(days=90)), "2")
    c = PolicyInput(cert, second, None, NOW, memos)
    assert c.parsed_key.key is not a.parsed_key.key
    assert c.parsed_certificate.certificate != a.parsed_certificate.certificate
    assert "BEGIN" not in repr(c.parsed_key) and "<hidden>" in repr(c.parsed_key)


def test_unstored_secrets_are_parsed_every_time_and_the_cache_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    memos = CertificateMemos(capacity=16)
    secret = issued_secret(certificate("web"), ec_key(), not_before=NOW, lifetime=timedelta(days=90))
    once = memos.parsed_key(secret, TLS_PRIVATE_KEY_KEY)
    assert memos.parsed_key(secret, TLS_PRIVATE_KEY_KEY).key is not once.key
    parses: list[bytes] = []
    monkeypatch.setattr(memos_module, "parse_leaf", lambda pem: parses.append(pem) or parse_leaf(pem))
    for rv in range(16 + 10):
        memos.parsed_leaf(stored(secret, str(rv)), TLS_CERT_KEY)
    assert len(parses) == 26
    memos.parsed_leaf(stored(secret, "25"), TLS_CERT_KEY)  # the newest 16 are still remembered
    assert len(parses) == 26
    memos.parsed_leaf(stored(secret, "0"), TLS_CERT_KEY)  # the oldest were let go
    assert len(parses) == 27


def test_readiness_status_is_a_new_status_and_leaves_the_cached_one_alone() -> None:
    cached = with_condition(BASE, ISSUING, "True")
    assert cached.status is not None
    before = cached.status.model_copy(deep=True)
    secret = issued_secret(cached, ec_key(), not_before=NOW, lifetime=timedelta(days=90))
    status = readiness_status(PolicyInput(cached, secret, None, NOW))
    assert [c.type for c in status.conditions or ()] == [ISSUING, READY]
    assert status.not_after == NOW + timedelta(days=90)
    assert cached.status == before, "the cache's object is shared: never modified"
