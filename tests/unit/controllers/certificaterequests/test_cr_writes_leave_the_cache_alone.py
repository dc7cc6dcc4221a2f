"""The signer and the approver write copies: the request the cache holds (and hands every other
controller) is never modified, and an unchanged status is never written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import get_condition
from certpilot.controllers.certificaterequests.approver import approve
from certpilot.controllers.certificaterequests.lifecycle import status_after, status_changed, why_not_sign
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

APPROVED = {"Approved": ("True", "cert-manager.io")}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "store.db")
    yield s
    await s.close()


def signer_over(
    store: SQLiteStore, cache: OneObjectPerKind, events: RecordedEvents
) -> CertificateRequestSigner:
    return CertificateRequestSigner(
        context_over(store, cache, events), ControllerOptions(), builtin_backends()
    )


async def stored_request(
    store: SQLiteStore, conditions: dict[str, tuple[str, str]] | None
) -> CertificateRequest:
    created = await store.create(request("app-1"))
    if conditions:
        created.status = request(conditions=conditions).status
        created = await store.update_status(created)
    return created


async def test_signing_leaves_the_cached_request_unchanged(store: SQLiteStore) -> None:
    await store.create(ca_secret())
    cached = await stored_request(store, APPROVED)
    before = cached.model_dump()
    events = RecordedEvents()
    signer = signer_over(store, OneObjectPerKind(cached, ca_issuer(ready=True)), events)

    await signer.reconcile(ObjectKey.of(cached))

    assert cached.model_dump() == before
    stored = await store.get(CertificateRequest, "app-1", NAMESPACE)
    assert stored.status is not None and stored.status.certificate is not None
    ready = get_condition(stored.status.conditions, "Ready")
    assert ready is not None and (ready.status, ready.reason) == ("True", "Issued")
    assert events.reasons == ["Issued"]


async def test_recording_the_same_pending_twice_writes_once(store: SQLiteStore) -> None:
    cached = await stored_request(store, APPROVED)
    events = RecordedEvents()
    await signer_over(store, OneObjectPerKind(cached), events).reconcile(ObjectKey.of(cached))
    written = await store.get(CertificateRequest, "app-1", NAMESPACE)
    assert written.metadata.resource_version != cached.metadata.resource_version

    await signer_over(store, OneObjectPerKind(written), events).reconcile(ObjectKey.of(written))

    again = await store.get(CertificateRequest, "app-1", NAMESPACE)
    assert again.metadata.resource_version == written.metadata.resource_version
    assert events.reasons == ["IssuerNotFound"]


async def test_a_status_read_back_from_the_store_compares_equal_to_the_same_transition(
    store: SQLiteStore,
) -> None:
    cached = await stored_request(store, APPROVED)
    transition = why_not_sign(cached, None)
    assert transition is not None
    cached.status = status_after(cached.status, transition, NOW, cached.metadata.generation)
    stored = await store.update_status(cached)
    read_back = await store.get(CertificateRequest, "app-1", NAMESPACE)
    assert read_back.status is not None
    again = status_after(read_back.status, transition, NOW, read_back.metadata.generation)
    assert not status_changed(read_back.status, again)
    assert stored.status is not None and not status_changed(stored.status, again)


def test_a_new_condition_or_no_status_is_a_change() -> None:
    cr = request(conditions=APPROVED)
    transition = why_not_sign(cr, None)
    assert transition is not None
    after = status_after(cr.status, transition, NOW, 1)
    assert status_changed(cr.status, after)
    assert status_changed(None, after)


def test_status_after_leaves_its_input_unchanged() -> None:
    cr = request(conditions=APPROVED)
    assert cr.status is not None
    before = cr.status.model_dump()
    transition = why_not_sign(cr, None)
    assert transition is not None
    status_after(cr.status, transition, NOW, 1)
    assert cr.status.model_dump() == before


def test_approving_leaves_the_request_unchanged() -> None:
    cr = request(conditions={"Ready": ("False", "Pending")})
    before = cr.model_dump()
    approved = approve(cr, "cert-manager.io", "approved", NOW)
    assert cr.model_dump() == before
    assert approved.status is not None and get_condition(approved.status.conditions, "Approved") is not None
    assert approved.spec is cr.spec, "a shallow copy: the spec is shared, never modified"
