"""A Ready issuer whose backend fails to sign with IssuerNotReady is re-checked at once, in the real
runtime over a real SQLite store. Time is a FakeClock that is never advanced, so the issuer's
periodic re-check never fires: only the failed signing can make it not Ready.

The CA backend is wrapped in a switch standing for a CA server that goes down and comes back (the
Vault end-to-end test does this with a real OpenBao; here the order of checks must be controlled,
which a real server cannot do)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import get_condition
from certpilot.api.issuer import Issuer
from certpilot.api.meta import Resource
from certpilot.controllers.certificaterequests import request_controllers as cr_setup
from certpilot.controllers.issuers import issuer_controllers as issuer_setup
from certpilot.controllers.options import ControllerOptions
from certpilot.issuers.base import IssuerContext, IssuerNotReady, IssuerReady, SignedCertificate
from certpilot.issuers.ca import CAIssuerBackend
from certpilot.issuers.registry import builtin_backends
from certpilot.runtime.manager import Manager
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock
from tests.unit.controllers.certificaterequests.cr_material import (
    NAMESPACE,
    NOW,
    ca_issuer,
    ca_secret,
    request,
)

T = TypeVar("T", bound=Resource)
WAIT_SECONDS = 30.0


class SwitchedCA:
    """The CA backend, refusing to check or sign with IssuerNotReady while `up` is False."""

    def __init__(self) -> None:
        self.real = CAIssuerBackend()
        self.up = True
        self.checks_done = 0
        self.checked_twice = asyncio.Event()

    def _refuse_when_down(self) -> None:
        if not self.up:
            raise IssuerNotReady("the CA server is unreachable", "ErrUnreachable")

    async def check(self, ctx: IssuerContext) -> IssuerReady:
        try:
            self._refuse_when_down()
            return await self.real.check(ctx)
        finally:
            self.checks_done += 1
            if self.checks_done >= 2:
                self.checked_twice.set()

    async def sign(self, ctx: IssuerContext, request: Any) -> SignedCertificate:
        self._refuse_when_down()
        return await self.real.sign(ctx, request)


async def wait_for(store: SQLiteStore, kind: type[T], name: str, done: Callable[[T], bool], what: str) -> T:
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            while True:
                obj = await store.get(kind, name, NAMESPACE)
                if done(obj):
                    return obj
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


def ready_is(status: str, reason: str | None = None) -> Callable[[Any], bool]:
    def check(obj: Any) -> bool:
        ready = get_condition(obj.status.conditions if obj.status else None, "Ready")
        return ready is not None and ready.status == status and reason in (None, ready.reason)

    return check


async def test_a_failed_signing_makes_a_ready_issuer_not_ready_and_its_return_signs_the_request(
    tmp_path: Path,
) -> None:
    ca = SwitchedCA()
    backends = builtin_backends()
    backends.register("ca", ca)
    options = ControllerOptions()
    store = SQLiteStore(tmp_path / "store.db")
    manager = Manager(store, FakeClock(NOW), workers_per_controller=1, thread_pool_size=2)
    for factory in [*issuer_setup.build(options, backends), *cr_setup.build(options, backends)]:
        manager.add(factory)
    await manager.start()
    try:
        secret = await store.create(ca_secret())
        await store.create(ca_issuer())
        await wait_for(store, Issuer, "ca", ready_is("True"), "the issuer Ready")
        # Its own status write brings the issuer back once more: let that check pass too, so nothing
        # but the failed signing below can look at the issuer again.
        await asyncio.wait_for(ca.checked_twice.wait(), WAIT_SECONDS)
        ca.up = False
        await store.create(request("app-1"))

        await wait_for(store, Issuer, "ca", ready_is("False", "ErrUnreachable"), "the issuer not Ready")
        await wait_for(store, CertificateRequest, "app-1", ready_is("False", "Pending"), "it Pending")

        # Back: a change to the issuer's Secret re-checks it; Ready again, it hands over the request.
        ca.up = True
        secret.metadata.labels = {"touched": "yes"}
        await store.update(secret)
        await wait_for(store, CertificateRequest, "app-1", ready_is("True", "Issued"), "the request Issued")
    finally:
        await manager.stop()
        await store.close()
