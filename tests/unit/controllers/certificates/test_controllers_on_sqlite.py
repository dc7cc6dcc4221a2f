"""The Certificate controllers in-process on a real SQLite store with the built-in issuers:
denial ends the issuance with the failure recorded and a backoff, and Secret metadata drift is
repaired without issuing again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from certpilot.api.certificate import Certificate, CertificateSecretTemplate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import get_condition
from certpilot.api.core import Event, Secret
from certpilot.controllers.certificaterequests.approver import deny
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.controller import ObjectKey
from certpilot.runtime.manager import Manager
from certpilot.store.errors import Conflict, NotFound
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.builders import certificate, issuer_selfsigned
from tests.unit.controllers.running_controllers import controllers_running

T = TypeVar("T")
pytestmark = pytest.mark.timeout(120)


async def eventually(probe: Callable[[], Awaitable[T | None]], what: str, limit: float = 30.0) -> T:
    deadline = time.monotonic() + limit
    while True:
        found = await probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def running(tmp_path: Path, options: ControllerOptions) -> AsyncIterator[tuple[SQLiteStore, Manager]]:
    store = SQLiteStore(tmp_path / "store.db")
    async with controllers_running(store, options) as manager:
        yield store, manager


@pytest.fixture
async def manual_approval(tmp_path: Path) -> AsyncIterator[tuple[SQLiteStore, Manager]]:
    async for store_and_manager in running(tmp_path, ControllerOptions(auto_approve=False)):
        yield store_and_manager


@pytest.fixture
async def auto(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async for store, _ in running(tmp_path, ControllerOptions()):
        yield store


async def test_denied_request_records_failure_and_backs_off(
    manual_approval: tuple[SQLiteStore, Manager],
) -> None:
    store, manager = manual_approval
    await store.create(issuer_selfsigned())
    await store.create(certificate("web", issuer="selfsigned"))

    async def request() -> CertificateRequest | None:
        try:
            return await store.get(CertificateRequest, "web-1", "default")
        except NotFound:
            return None

    async def denied() -> CertificateRequest | None:
        cr = await request()
        if cr is None:
            return None
        try:
            return await store.update_status(deny(cr, "Test", "not this one", datetime.now(UTC)))
        except Conflict:
            return None  # a controller wrote the request since it was read: read it again

    await eventually(denied, "CertificateRequest web-1 denied")

    async def failed() -> Certificate | None:
        cert = await store.get(Certificate, "web", "default")
        return cert if cert.status and cert.status.failed_issuance_attempts else None

    cert = await eventually(failed, "failure recorded")
    assert cert.status is not None
    issuing = get_condition(cert.status.conditions, "Issuing")
    assert issuing is not None and issuing.status == "False" and issuing.reason == "Denied"
    assert cert.status.last_failure_time is not None
    assert cert.status.failed_issuance_attempts == 1
    ready = get_condition(cert.status.conditions, "Ready")
    assert ready is not None and ready.status == "False" and ready.reason == "DoesNotExist"
    # Backoff (1h): the trigger holds the Certificate for an hour instead of starting another
    # attempt (its next look is timed), so no second request appears.
    trigger = next(runner for runner in manager.runners if runner.name == "certificates-trigger")

    async def next_attempt_due() -> datetime | None:
        due = trigger.queue.waiting_until(ObjectKey("default", "web"))
        return due if due is not None and due - datetime.now(UTC) > timedelta(minutes=50) else None

    await eventually(next_attempt_due, "the trigger's next look an hour away")
    requests, _ = await store.list(CertificateRequest, "default")
    assert [r.name for r in requests] == ["web-1"]
    again = await store.get(Certificate, "web", "default")
    assert again.status is not None and again.status.failed_issuance_attempts == 1
    assert get_condition(again.status.conditions, "Issuing").status == "False"  # type: ignore[union-attr]
    events, _ = await store.list(Event, "default")
    assert any(
        e.type == "Warning" and e.reason == "Denied" and e.involved_object.name == "web" for e in events
    )


async def test_secret_template_change_updates_secret_without_reissuing(auto: SQLiteStore) -> None:
    store = auto
    await store.create(issuer_selfsigned())
    await store.create(certificate("web", issuer="selfsigned"))

    async def issued() -> Certificate | None:
        cert = await store.get(Certificate, "web", "default")
        ready = get_condition(cert.status.conditions if cert.status else None, "Ready")
        return cert if ready is not None and ready.status == "True" else None

    cert = await eventually(issued, "web Ready")
    before = await store.get(Secret, "web-tls", "default")
    cert.spec.secret_template = CertificateSecretTemplate(
        labels={"team": "blue"}, annotations={"owner": "ops"}
    )
    await store.update(cert)

    async def labelled() -> Secret | None:
        secret = await store.get(Secret, "web-tls", "default")
        return secret if (secret.metadata.labels or {}).get("team") == "blue" else None

    after = await eventually(labelled, "Secret labelled")
    assert (after.metadata.annotations or {})["owner"] == "ops"
    assert after.get_data("tls.crt") == before.get_data("tls.crt")
    assert after.get_data("tls.key") == before.get_data("tls.key")
    final = await store.get(Certificate, "web", "default")
    assert final.status is not None and final.status.revision == 1
