"""The approver, signer and issuer readiness controllers running together in the real runtime
(Manager, informers, work queues) over a real SQLite store.

Time is a FakeClock that is never advanced: timed requeues and backoff never fire, so every
recovery seen here is driven by watch events alone, and nothing can loop on a timer.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from cryptography import x509

from certpilot.api.annotations import PRIVATE_KEY_SECRET_NAME
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import get_condition
from certpilot.api.core import Event, Secret
from certpilot.api.issuer import AnyIssuer, ClusterIssuer, Issuer
from certpilot.api.meta import Condition, Resource
from certpilot.controllers.certificaterequests import request_controllers as cr_setup
from certpilot.controllers.certificaterequests.approver import deny
from certpilot.controllers.issuers import issuer_controllers as issuer_setup
from certpilot.controllers.options import ControllerOptions
from certpilot.pki.keys import encode_private_key
from certpilot.runtime.manager import Manager
from certpilot.server.metrics import CONTROLLER_SYNC_ERROR_COUNT, REGISTRY
from certpilot.store.errors import NotFound
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock
from tests.unit.controllers.certificaterequests.cr_material import (
    NAMESPACE,
    NOW,
    ca_issuer,
    ca_secret,
    cluster_ca_issuer,
    new_key,
    request,
    self_signed_issuer,
)

T = TypeVar("T", bound=Resource)
WAIT_SECONDS = 30.0


@dataclass
class Daemon:
    store: SQLiteStore
    clock: FakeClock

    async def wait_for(self, kind: type[T], name: str, namespace: str | None, done: Callable[[T], bool]) -> T:
        """Poll the store until done(obj) holds (a wait, not a timing assertion)."""
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                try:
                    obj = await self.store.get(kind, name, namespace)
                except NotFound:
                    obj = None
                if obj is not None and done(obj):
                    return obj
                await asyncio.sleep(0.02)

    async def events_about(self, name: str) -> list[Event]:
        events, _ = await self.store.list(Event, NAMESPACE)
        return [e for e in events if e.involved_object.name == name]


def condition(obj: CertificateRequest | AnyIssuer, type_: str) -> Condition | None:
    return get_condition(obj.status.conditions if obj.status else None, type_)


def has_condition(type_: str, status: str, reason: str | None = None) -> Callable[[Resource], bool]:
    def check(obj: Resource) -> bool:
        found = condition(obj, type_)  # type: ignore[arg-type]
        return found is not None and found.status == status and (reason is None or found.reason == reason)

    return check


async def start_daemon(
    tmp_path: Path, options: ControllerOptions
) -> tuple[Daemon, Manager, Callable[[], Awaitable[None]]]:
    store = SQLiteStore(tmp_path / "store.db")
    clock = FakeClock(NOW)
    manager = Manager(store, clock, workers_per_controller=1, thread_pool_size=2)
    for factory in [*issuer_setup.build(options), *cr_setup.build(options)]:
        manager.add(factory)
    await manager.start()
    return Daemon(store, clock), manager, manager.stop


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    running, _, stop = await start_daemon(tmp_path, ControllerOptions(cluster_resource_namespace="certpilot"))
    yield running
    await stop()


def sync_errors() -> float:
    return sum(
        CONTROLLER_SYNC_ERROR_COUNT.value(name)
        for name in (
            "issuers-readiness",
            "clusterissuers-readiness",
            "certificaterequests-approver",
            "certificaterequests-issuer",
        )
    )


def ready_metric(name: str, status: str) -> float | None:
    return REGISTRY.get_sample_value(
        "certmanager_issuer_ready_status", {"name": name, "namespace": NAMESPACE, "condition": status}
    )


def issued_certificate(cr: CertificateRequest) -> x509.Certificate:
    assert cr.status is not None and cr.status.certificate is not None
    return x509.load_pem_x509_certificates(base64.b64decode(cr.status.certificate))[0]


async def test_ca_issuer_issues_an_approved_request(daemon: Daemon) -> None:
    secret = ca_secret()
    await daemon.store.create(secret)
    await daemon.store.create(ca_issuer())
    key = new_key()
    await daemon.store.create(request("app-1", key=key))

    issuer = await daemon.wait_for(Issuer, "ca", NAMESPACE, has_condition("Ready", "True", "KeyPairVerified"))
    ready = condition(issuer, "Ready")
    assert ready is not None and ready.message == "Signing CA verified"
    cr = await daemon.wait_for(
        CertificateRequest, "app-1", NAMESPACE, has_condition("Ready", "True", "Issued")
    )
    approved = condition(cr, "Approved")
    assert approved is not None and approved.reason == "cert-manager.io"
    leaf = issued_certificate(cr)
    assert leaf.public_key() == key.public_key()
    ca = x509.load_pem_x509_certificate(secret.get_data("tls.crt") or b"")
    leaf.verify_directly_issued_by(ca)
    assert cr.status is not None and cr.status.ca is not None
    assert base64.b64decode(cr.status.ca) == secret.get_data("tls.crt")
    reasons = {e.reason for e in await daemon.events_about("app-1")}
    assert {"cert-manager.io", "Issued"} <= reasons


async def test_broken_ca_secret_then_fixed_recovers_issuer_and_request(daemon: Daemon) -> None:
    errors_before = sync_errors()
    await daemon.store.create(ca_issuer())
    await daemon.store.create(request("app-1"))
    await daemon.wait_for(Issuer, "ca", NAMESPACE, has_condition("Ready", "False", "ErrGetKeyPair"))
    cr = await daemon.wait_for(
        CertificateRequest, "app-1", NAMESPACE, has_condition("Ready", "False", "Pending")
    )
    assert cr.status is not None and cr.status.certificate is None and cr.status.failure_time is None

    # A key that does not belong to the CA: the Secret watch re-checks the issuer.
    broken = ca_secret()
    broken.set_data("tls.key", encode_private_key(new_key()))
    await daemon.store.create(broken)
    issuer = await daemon.wait_for(
        Issuer, "ca", NAMESPACE, has_condition("Ready", "False", "ErrInvalidKeyPair")
    )
    ready = condition(issuer, "Ready")
    assert ready is not None and "tls.key is not the private key" in (ready.message or "")
    pending = await daemon.wait_for(CertificateRequest, "app-1", NAMESPACE, has_condition("Ready", "False"))
    assert condition(pending, "Ready") is not None and pending.status is not None
    assert pending.status.certificate is None

    # Nothing piles up while broken: no failed reconciles, and few Pending events.
    pending_events = [
        e for e in await daemon.events_about("app-1") if e.reason in ("IssuerNotReady", "Pending")
    ]
    assert sum(e.count or 1 for e in pending_events) <= 3
    assert sync_errors() == errors_before
    assert ready_metric("ca", "False") == 1.0

    fixed = ca_secret()
    current = await daemon.store.get(Secret, "ca-key-pair", NAMESPACE)
    current.data = fixed.data
    await daemon.store.update(current)
    await daemon.wait_for(Issuer, "ca", NAMESPACE, has_condition("Ready", "True", "KeyPairVerified"))
    cr = await daemon.wait_for(
        CertificateRequest, "app-1", NAMESPACE, has_condition("Ready", "True", "Issued")
    )
    issued_certificate(cr).verify_directly_issued_by(
        x509.load_pem_x509_certificate(fixed.get_data("tls.crt") or b"")
    )
    assert ready_metric("ca", "True") == 1.0
    assert sync_errors() == errors_before


async def test_request_waits_for_a_missing_issuer_then_is_issued(daemon: Daemon) -> None:
    await daemon.store.create(request("app-1", issuer="later"))
    cr = await daemon.wait_for(
        CertificateRequest, "app-1", NAMESPACE, has_condition("Ready", "False", "Pending")
    )
    ready = condition(cr, "Ready")
    assert ready is not None and '"later"' in (ready.message or "")
    await daemon.store.create(ca_secret())
    await daemon.store.create(ca_issuer("later"))
    await daemon.wait_for(CertificateRequest, "app-1", NAMESPACE, has_condition("Ready", "True", "Issued"))


async def test_cluster_issuer_reads_its_secret_from_the_cluster_resource_namespace(daemon: Daemon) -> None:
    await daemon.store.create(ca_secret(namespace="certpilot"))
    await daemon.store.create(cluster_ca_issuer())
    await daemon.store.create(request("app-1", issuer="cluster-ca", kind="ClusterIssuer"))
    await daemon.wait_for(
        ClusterIssuer, "cluster-ca", None, has_condition("Ready", "True", "KeyPairVerified")
    )
    await daemon.wait_for(CertificateRequest, "app-1", NAMESPACE, has_condition("Ready", "True", "Issued"))


async def test_self_signed_issuer_signs_with_the_annotated_key(daemon: Daemon) -> None:
    key = new_key()
    key_secret = Secret.model_validate({"metadata": {"name": "app-next-key", "namespace": NAMESPACE}})
    key_secret.set_data("tls.key", encode_private_key(key))
    await daemon.store.create(key_secret)
    await daemon.store.create(self_signed_issuer())
    cr = request("app-1", issuer="selfsigned", key=key)
    cr.metadata.annotations = {PRIVATE_KEY_SECRET_NAME: "app-next-key"}
    await daemon.store.create(cr)
    issued = await daemon.wait_for(
        CertificateRequest, "app-1", NAMESPACE, has_condition("Ready", "True", "Issued")
    )
    cert = issued_certificate(issued)
    assert cert.issuer == cert.subject
    assert cert.not_valid_after_utc == NOW + timedelta(days=90)


async def test_unknown_group_is_left_untouched(daemon: Daemon) -> None:
    await daemon.store.create(
        request("external", issuer="pca", kind="AWSPCAIssuer", group="awspca.cert-manager.io")
    )
    # A request of ours created after it, once issued, shows both were processed.
    await daemon.store.create(ca_secret())
    await daemon.store.create(ca_issuer())
    await daemon.store.create(request("ours"))
    await daemon.wait_for(CertificateRequest, "ours", NAMESPACE, has_condition("Ready", "True", "Issued"))
    external = await daemon.store.get(CertificateRequest, "external", NAMESPACE)
    assert external.status is None or not external.status.conditions
    assert await daemon.events_about("external") == []


async def test_denied_is_final(tmp_path: Path) -> None:
    running, _, stop = await start_daemon(tmp_path, ControllerOptions(auto_approve=False))
    try:
        await running.store.create(ca_secret())
        await running.store.create(ca_issuer())
        await running.store.create(request("app-1"))
        waiting = await running.wait_for(
            CertificateRequest, "app-1", NAMESPACE, has_condition("Ready", "False", "Pending")
        )
        await running.store.update_status(deny(waiting, "ByPolicy", "not allowed here", NOW))
        cr = await running.wait_for(
            CertificateRequest, "app-1", NAMESPACE, has_condition("Ready", "False", "Denied")
        )
        assert cr.status is not None and cr.status.failure_time == NOW and cr.status.certificate is None
        # The issuer's status changing again (a Secret update) re-queues waiting requests only:
        # the denied one stays as it is.
        secret = await running.store.get(Secret, "ca-key-pair", NAMESPACE)
        secret.metadata.labels = {"touched": "yes"}
        await running.store.update(secret)
        await running.store.create(request("probe"))
        await running.wait_for(
            CertificateRequest, "probe", NAMESPACE, has_condition("Ready", "False", "Pending")
        )
        again = await running.store.get(CertificateRequest, "app-1", NAMESPACE)
        assert again.status == cr.status
    finally:
        await stop()
