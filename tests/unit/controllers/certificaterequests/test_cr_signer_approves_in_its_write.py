"""Requests certpilot signs are auto-approved by the signer, in the same status write as the
signing outcome; the approver only approves requests for external signers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import get_condition
from certpilot.controllers.certificaterequests.approver import (
    AUTO_APPROVAL_REASON,
    CertificateRequestApprover,
    auto_approved,
)
from certpilot.controllers.certificaterequests.signer import CertificateRequestSigner
from certpilot.controllers.options import ControllerOptions
from certpilot.issuers.registry import builtin_backends
from certpilot.runtime.controller import ObjectKey
from certpilot.store.sqlite import SQLiteStore
from tests.unit.controllers.certificaterequests.cr_fakes import OneObjectPerKind, RecordedEvents, context_over
from tests.unit.controllers.certificaterequests.cr_material import (
    NAMESPACE,
    NOW,
    ca_issuer,
    ca_secret,
    request,
)

EXTERNAL = ControllerOptions(approve_signers=("awspca.cert-manager.io/AWSPCAIssuer",))


class CountingStore(SQLiteStore):
    status_writes = 0

    async def update_status(self, obj: Any) -> Any:
        self.status_writes += 1
        return await super().update_status(obj)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[CountingStore]:
    s = CountingStore(tmp_path / "store.db")
    yield s
    await s.close()


def conditions(cr: CertificateRequest) -> dict[str, tuple[str, str]]:
    assert cr.status is not None and cr.status.conditions is not None
    return {c.type: (c.status, c.reason or "") for c in cr.status.conditions}


async def test_an_undecided_request_is_approved_and_issued_in_one_write(store: CountingStore) -> None:
    await store.create(ca_secret())
    cached = await store.create(request("app-1"))
    events = RecordedEvents()
    signer = CertificateRequestSigner(
        context_over(store, OneObjectPerKind(cached, ca_issuer(ready=True)), events),
        ControllerOptions(),
        builtin_backends(),
    )

    await signer.reconcile(ObjectKey.of(cached))

    stored = await store.get(CertificateRequest, "app-1", NAMESPACE)
    assert store.status_writes == 1
    assert conditions(stored) == {"Approved": ("True", AUTO_APPROVAL_REASON), "Ready": ("True", "Issued")}
    assert stored.status is not None and stored.status.certificate
    assert events.reasons == [AUTO_APPROVAL_REASON, "Issued"]
    assert cached.status is None, "the cached request is left alone"


async def test_approval_is_written_with_a_pending_outcome_too(store: CountingStore) -> None:
    cached = await store.create(request("app-1"))
    events = RecordedEvents()
    signer = CertificateRequestSigner(
        context_over(store, OneObjectPerKind(cached), events), ControllerOptions(), builtin_backends()
    )

    await signer.reconcile(ObjectKey.of(cached))

    stored = await store.get(CertificateRequest, "app-1", NAMESPACE)
    assert conditions(stored) == {"Approved": ("True", AUTO_APPROVAL_REASON), "Ready": ("False", "Pending")}
    assert events.reasons == [AUTO_APPROVAL_REASON, "IssuerNotFound"]


async def test_without_auto_approval_the_signer_waits_for_approval(store: CountingStore) -> None:
    cached = await store.create(request("app-1"))
    events = RecordedEvents()
    options = ControllerOptions(auto_approve=False)
    signer = CertificateRequestSigner(
        context_over(store, OneObjectPerKind(cached), events), options, builtin_backends()
    )

    await signer.reconcile(ObjectKey.of(cached))

    stored = await store.get(CertificateRequest, "app-1", NAMESPACE)
    assert conditions(stored) == {"Ready": ("False", "Pending")}
    assert events.reasons == ["WaitingForApproval"]


async def test_the_approver_leaves_requests_the_signer_serves_to_it(store: CountingStore) -> None:
    cached = await store.create(request("app-1"))
    events = RecordedEvents()
    approver = CertificateRequestApprover(
        context_over(store, OneObjectPerKind(cached), events), EXTERNAL, builtin_backends()
    )

    await approver.reconcile(ObjectKey.of(cached))

    assert store.status_writes == 0 and events.reasons == []


async def test_the_approver_approves_requests_for_listed_external_signers(store: CountingStore) -> None:
    cached = await store.create(request("app-1", kind="AWSPCAIssuer", group="awspca.cert-manager.io"))
    events = RecordedEvents()
    approver = CertificateRequestApprover(
        context_over(store, OneObjectPerKind(cached), events), EXTERNAL, builtin_backends()
    )

    await approver.reconcile(ObjectKey.of(cached))

    stored = await store.get(CertificateRequest, "app-1", NAMESPACE)
    assert conditions(stored) == {"Approved": ("True", AUTO_APPROVAL_REASON)}
    assert events.reasons == [AUTO_APPROVAL_REASON]


def test_auto_approved_is_a_copy_only_when_approval_is_automatic() -> None:
    fresh = request()
    approved = auto_approved(fresh, ControllerOptions(), NOW)
    assert approved is not None and approved is not fresh and fresh.status is None
    ready = get_condition(approved.status.conditions if approved.status else None, "Approved")
    assert ready is not None and ready.reason == AUTO_APPROVAL_REASON
    assert auto_approved(fresh, ControllerOptions(auto_approve=False), NOW) is None
    assert auto_approved(approved, ControllerOptions(), NOW) is None
