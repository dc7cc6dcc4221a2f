"""Requests certpilot signs are auto-approved by the signer, in the same status write as the
signing outcome; the approver only approves requests for external signers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
from cr_material import NAMESPACE, NOW, ca_issuer, ca_secret, request

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import get_condition
from certpilot.api.meta import Resource
from certpilot.controllers.certificaterequests.approver import (
    AUTO_APPROVAL_REASON,
    CertificateRequestApprover,
    auto_approved,
)
from certpilot.controllers.certificaterequests.signer import CertificateRequestSigner
from certpilot.controllers.options import ControllerOptions
from certpilot.issuers.registry import builtin_backends
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ObjectKey
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock

T = TypeVar("T", bound=Resource)
EXTERNAL = ControllerOptions(approve_signers=("awspca.cert-manager.io/AWSPCAIssuer",))


class Cache:
    """The cache as the controllers read it: one object per kind."""

    def __init__(self, *objects: Resource) -> None:
        self.objects = {type(o): o for o in objects}

    def get(self, kind: type[T], name: str, namespace: str | None = None) -> T | None:
        found = self.objects.get(kind)
        return cast(T, found) if found is not None and found.name == name else None


class Events:
    def __init__(self) -> None:
        self.reasons: list[str] = []

    async def event(self, obj: Resource, type_: str, reason: str, message: str) -> None:
        self.reasons.append(reason)


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


def context(store: SQLiteStore, cache: Cache, events: Events) -> ControllerContext:
    async def no_blocking(*_: Any, **__: Any) -> Any:
        raise AssertionError("nothing runs in the thread pool")

    return ControllerContext(
        store=store, cache=cast(Any, cache), clock=FakeClock(NOW), events=events, run_blocking=no_blocking
    )


def conditions(cr: CertificateRequest) -> dict[str, tuple[str, str]]:
    assert cr.status is not None and cr.status.conditions is not None
    return {c.type: (c.status, c.reason or "") for c in cr.status.conditions}


async def test_an_undecided_request_is_approved_and_issued_in_one_write(store: CountingStore) -> None:
    await store.create(ca_secret())
    cached = await store.create(request("app-1"))
    events = Events()
    signer = CertificateRequestSigner(
        context(store, Cache(cached, ca_issuer(ready=True)), events), ControllerOptions(), builtin_backends()
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
    events = Events()
    signer = CertificateRequestSigner(
        context(store, Cache(cached), events), ControllerOptions(), builtin_backends()
    )

    await signer.reconcile(ObjectKey.of(cached))

    stored = await store.get(CertificateRequest, "app-1", NAMESPACE)
    assert conditions(stored) == {"Approved": ("True", AUTO_APPROVAL_REASON), "Ready": ("False", "Pending")}
    assert events.reasons == [AUTO_APPROVAL_REASON, "IssuerNotFound"]


async def test_without_auto_approval_the_signer_waits_for_approval(store: CountingStore) -> None:
    cached = await store.create(request("app-1"))
    events = Events()
    options = ControllerOptions(auto_approve=False)
    signer = CertificateRequestSigner(context(store, Cache(cached), events), options, builtin_backends())

    await signer.reconcile(ObjectKey.of(cached))

    stored = await store.get(CertificateRequest, "app-1", NAMESPACE)
    assert conditions(stored) == {"Ready": ("False", "Pending")}
    assert events.reasons == ["WaitingForApproval"]


async def test_the_approver_leaves_requests_the_signer_serves_to_it(store: CountingStore) -> None:
    cached = await store.create(request("app-1"))
    events = Events()
    approver = CertificateRequestApprover(context(store, Cache(cached), events), EXTERNAL, builtin_backends())

    await approver.reconcile(ObjectKey.of(cached))

    assert store.status_writes == 0 and events.reasons == []


async def test_the_approver_approves_requests_for_listed_external_signers(store: CountingStore) -> None:
    cached = await store.create(request("app-1", kind="AWSPCAIssuer", group="awspca.cert-manager.io"))
    events = Events()
    approver = CertificateRequestApprover(context(store, Cache(cached), events), EXTERNAL, builtin_backends())

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
