"""Once a Certificate, its Secret and its requests are deleted, the controllers keep nothing about
them: no memo entry computed from them, no checked CSR, no timed requeue (each held memory of every
deleted Certificate until pushed out or due, months later). The whole daemon's controllers run
in-process on a real SQLite store with the SelfSigned issuer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import get_condition
from certpilot.api.core import Secret
from certpilot.controllers.all_controllers import build_all
from certpilot.controllers.certificates.memos import CertificateMemos
from certpilot.controllers.options import ControllerOptions
from certpilot.issuers.request import CHECKED_CSRS, checked_csr_key, request_pem
from certpilot.pki.verified_csr import CSRS_SIGNED_HERE
from certpilot.runtime.bounded_memo import BoundedMemo
from certpilot.runtime.controller import ObjectKey
from certpilot.runtime.manager import Manager
from certpilot.runtime.object_versions import names_any_of
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.builders import certificate, issuer_selfsigned

pytestmark = pytest.mark.timeout(120)


async def eventually(check: Callable[[], bool], what: str, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def memos_of(reconcilers: list[Any]) -> Iterator[BoundedMemo[Any]]:
    """Every memo a controller holds, itself or in its CertificateMemos."""
    for reconciler in reconcilers:
        for value in vars(reconciler).values():
            if isinstance(value, BoundedMemo):
                yield value
            elif isinstance(value, CertificateMemos):
                yield from (v for v in vars(value).values() if isinstance(v, BoundedMemo))


def remembers_any_of(memos: list[BoundedMemo[Any]], uids: set[str]) -> bool:
    return any(names_any_of(key, uids) for memo in memos for key in memo._entries)


async def test_nothing_about_a_deleted_certificate_stays_in_memory(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.db")
    manager = Manager(store, listen=None)
    reconcilers = [manager.add(factory) for factory in build_all(ControllerOptions())]
    memos = list(memos_of(reconcilers))
    await manager.start()
    try:
        await store.create(issuer_selfsigned())
        await store.create(certificate("web", issuer="selfsigned"))

        def ready() -> bool:
            cert = manager.cache.get(Certificate, "web", "default")
            condition = get_condition(cert.status.conditions if cert and cert.status else None, "Ready")
            return condition is not None and condition.status == "True"

        await eventually(ready, "web Ready")
        cert = manager.cache.get(Certificate, "web", "default")
        secret = manager.cache.get(Secret, "web-tls", "default")
        requests = manager.cache.list(CertificateRequest, "default")
        assert cert is not None and secret is not None and requests
        gone = {o.metadata.uid for o in (cert, secret, *requests)}
        assert remembers_any_of(memos, gone), "the controllers remembered answers about them"
        csr_keys = [checked_csr_key(request_pem(r), bool(r.spec.is_ca), r.spec.usages) for r in requests]
        assert any(key in CHECKED_CSRS for key in csr_keys)
        pems = [request_pem(r) for r in requests]
        assert any(CSRS_SIGNED_HERE.was_checked(pem) for pem in pems), "the CSR built here is known"
        key = ObjectKey("default", "web")
        assert any(r.queue.waiting_until(key) for r in manager.runners), "a renewal is scheduled"

        await store.delete(Certificate, "web", "default")
        await store.delete(Secret, "web-tls", "default")
        await eventually(
            lambda: (
                not manager.cache.list(CertificateRequest, "default")
                and manager.cache.get(Secret, "web-tls", "default") is None
                and manager.cache.get(Certificate, "web", "default") is None
            ),
            "the deletions to reach the cache",
        )
        await eventually(manager.idle, "the controllers to reconcile the deleted key once more")

        assert not remembers_any_of(memos, gone)
        assert not any(key in CHECKED_CSRS for key in csr_keys)
        assert not any(CSRS_SIGNED_HERE.was_checked(pem) for pem in pems)
        assert not [r.name for r in manager.runners if r.queue.waiting_until(key)]
    finally:
        await manager.stop()
