"""Issuing's Secret check outside an issuance: a Secret found in sync is remembered for exactly
its versions, so checking it again asks nothing (not even the policies) and writes nothing; a
new version of the Secret is checked again, and drift is repaired."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from certpilot.api import annotations as ann
from certpilot.api.certificate import (
    Certificate,
    CertificateKeystores,
    CertificatePrivateKey,
    CertificateStatus,
)
from certpilot.api.certificaterequest import CertificateRequest, CertificateRequestSpec
from certpilot.api.common import IssuerReference
from certpilot.api.core import Secret
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.api.meta import ObjectMeta, Resource
from certpilot.controllers.certificates.issuing import issuing
from certpilot.controllers.certificates.issuing.issuing import IssuingController
from certpilot.controllers.certificates.issuing.secret_data import KeyPair, KeystorePasswords, desired_secret
from certpilot.controllers.certificates.policies import reasons
from certpilot.controllers.certificates.policies.policy_chains import needs_issuance, secret_must_be_replaced
from certpilot.controllers.certificates.policies.policy_input import PolicyInput
from certpilot.controllers.certificates.policies.reasons import Reason
from certpilot.controllers.certificates.request_state import SignedChain
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.context import ControllerContext
from certpilot.store.errors import NotFound
from certpilot.testing.builders import certificate, ec_key, self_signed_for
from certpilot.testing.clock import FakeClock

NOW = datetime(2030, 1, 1, tzinfo=UTC)
KEY = ec_key()
EC = CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256)


class OneSecret:
    """The cache as the sync reads it: the Certificate's Secret, and no requests."""

    def __init__(self, secret: Secret) -> None:
        self.secret = secret

    def get(self, kind: type[Resource], name: str, namespace: str | None = None) -> Resource | None:
        return self.secret if kind is Secret and name == self.secret.name else None

    def owned_by(self, kind: type[Resource], owner_uid: str) -> list[Resource]:
        return []

    def on_deleted(self, forget: Callable[[Resource], None]) -> None:
        """Nothing is ever deleted from this cache."""


class RecordedWrites:
    def __init__(self) -> None:
        self.secrets: list[Secret] = []
        self.reasons: list[str] = []

    async def update(self, secret: Secret) -> Secret:
        self.secrets.append(secret)
        return secret

    async def event(self, obj: Resource, type_: str, reason: str, message: str) -> None:
        self.reasons.append(reason)


def stored_certificate(uid: str) -> Certificate:
    cert = certificate("web", private_key=EC)
    cert.metadata.uid, cert.metadata.generation = uid, 1
    return cert


def issued(cert: Certificate, uid: str, not_before: datetime = NOW - timedelta(days=1)) -> Secret:
    """Its own uid per test: the process-wide memos hold what was found for each version."""
    pem = self_signed_for(cert, KEY, not_before=not_before)
    secret = desired_secret(
        cert, None, KeyPair(KEY, pem), KeystorePasswords(), owner_ref=False, reuse_keystores=False
    )
    secret.metadata.uid, secret.metadata.resource_version = uid, "1"
    return secret


def controller_over(cache: OneSecret, writes: RecordedWrites) -> IssuingController:
    ctx = ControllerContext(
        store=cast(Any, writes),
        cache=cast(Any, cache),
        clock=FakeClock(NOW),
        events=writes,
        run_blocking=cast(Any, None),
    )
    return IssuingController(ctx, ControllerOptions())


def policies_not_asked(*_: object) -> object:
    raise AssertionError("a Secret found in sync for these versions needs no look at the policies")


async def test_a_secret_in_sync_is_remembered_by_version_and_drift_in_a_new_version_repaired(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cert = stored_certificate("sync-remembered")
    cache, writes = OneSecret(issued(cert, "sync-remembered-tls")), RecordedWrites()
    controller = controller_over(cache, writes)
    await controller._sync_secret(cert)
    assert writes.secrets == []

    with monkeypatch.context() as patched:
        patched.setattr(issuing, "secret_must_be_replaced", policies_not_asked)
        await controller._sync_secret(cert)
    assert writes.secrets == []

    in_sync = cache.secret
    cache.secret = in_sync.model_copy(
        update={"metadata": in_sync.metadata.model_copy(update={"labels": {}, "resource_version": "2"})}
    )
    await controller._sync_secret(cert)
    assert [s.metadata.labels for s in writes.secrets] == [{ann.PART_OF_LABEL: "true"}]
    assert writes.reasons == [reasons.SECRET_TEMPLATE_MISMATCH]


def without_labels(secret: Secret) -> Secret:
    return secret.model_copy(
        update={"metadata": secret.metadata.model_copy(update={"labels": {}, "resource_version": "2"})}
    )


@pytest.mark.parametrize("age", [timedelta(days=80), timedelta(days=200)], ids=["renewal due", "expired"])
async def test_drift_is_repaired_on_a_secret_due_for_renewal_or_expired(age: timedelta) -> None:
    # Renewal and expiry are about the certificate's dates, which the repair does not touch.
    cert = stored_certificate(f"sync-due-{age.days}")
    secret = without_labels(issued(cert, f"sync-due-{age.days}-tls", not_before=NOW - age))
    i = PolicyInput(certificate=cert, secret=secret, current_request=None, now=NOW)
    assert needs_issuance(i) is not None
    cache, writes = OneSecret(secret), RecordedWrites()
    await controller_over(cache, writes)._sync_secret(cert)
    assert [s.metadata.labels for s in writes.secrets] == [{ann.PART_OF_LABEL: "true"}]


async def test_a_secret_that_must_be_replaced_is_left_alone() -> None:
    # Its drift would be stamped over a Secret the trigger is about to replace anyway.
    cert = stored_certificate("sync-mismatched")
    other_name = certificate("other", private_key=EC)
    secret = without_labels(issued(other_name, "sync-mismatched-tls"))
    secret = secret.model_copy(
        update={"metadata": secret.metadata.model_copy(update={"name": cert.spec.secret_name})}
    )
    i = PolicyInput(certificate=cert, secret=secret, current_request=None, now=NOW)
    assert secret_must_be_replaced(i) is not None
    cache, writes = OneSecret(secret), RecordedWrites()
    await controller_over(cache, writes)._sync_secret(cert)
    assert writes.secrets == []


async def test_a_certificate_with_keystores_is_checked_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # Keystore passwords live in other Secrets: no version names them, so nothing is remembered.
    cert = stored_certificate("sync-keystores")
    with_keystores = cert.model_copy(
        update={"spec": cert.spec.model_copy(update={"keystores": CertificateKeystores()})}
    )
    cache, writes = OneSecret(issued(cert, "sync-keystores-tls")), RecordedWrites()
    controller = controller_over(cache, writes)
    asked: list[PolicyInput] = []

    def recorded(i: PolicyInput) -> Reason | None:
        asked.append(i)
        return secret_must_be_replaced(i)

    monkeypatch.setattr(issuing, "secret_must_be_replaced", recorded)
    await controller._sync_secret(with_keystores)
    await controller._sync_secret(with_keystores)
    assert len(asked) == 2
    assert writes.secrets == []


class NoSecretsStored(RecordedWrites):
    async def get(self, kind: type[Resource], name: str, namespace: str | None = None) -> Resource:
        raise NotFound(f"{kind.KIND} {namespace}/{name}")


async def test_a_signed_request_without_its_next_key_is_left_with_a_log_saying_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The keymanager recreates the next private key; issuing writes nothing, but says why it waits."""
    cert = stored_certificate("complete-without-key")
    cert.status = CertificateStatus(next_private_key_secret_name="web-next-key")
    request = CertificateRequest(
        metadata=ObjectMeta(name="web-1", namespace="default"),
        spec=CertificateRequestSpec(issuer_ref=IssuerReference(name="ca"), request=""),
    )
    writes = NoSecretsStored()
    controller = controller_over(OneSecret(issued(cert, "complete-without-key-tls")), writes)
    with caplog.at_level(logging.INFO, logger=issuing.__name__):
        await controller._complete(cert, request, SignedChain(b"chain", b""))
    assert (writes.secrets, writes.reasons) == ([], [])
    assert [r.getMessage() for r in caplog.records] == [
        "Certificate default/web: CertificateRequest web-1 is signed but the next private key Secret"
        " 'web-next-key' is missing; waiting for the keymanager"
    ]
