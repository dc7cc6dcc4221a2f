"""Transient network errors between certpilot and the ACME server never fail a challenge (cert-manager
#8760): pebble is real; the flaky network is an HTTPS proxy in front of it (flaky_acme_proxy.py)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from certpilot.api.acme import Challenge, Order
from certpilot.api.enums import State
from certpilot.api.issuer import Issuer
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.acme_issuance.flaky_acme_proxy import FlakyAcmeProxy
from tests.e2e.acme_issuance.issuance_harness import Daemon, acme_issuer, certificate, http01_solver

StartDaemon = Callable[..., Awaitable[Daemon]]


@pytest.fixture
async def proxy(pebble: PebbleServer, tmp_path: Path) -> AsyncIterator[FlakyAcmeProxy]:
    started = await FlakyAcmeProxy(pebble, tmp_path).start()
    yield started
    await started.stop()


def issuer_behind(proxy: FlakyAcmeProxy, pebble: PebbleServer, **solver_fields: str) -> Issuer:
    issuer = acme_issuer(pebble, solvers=[{**http01_solver(), **solver_fields}])
    assert issuer.spec.acme is not None
    issuer.spec.acme.server = proxy.directory_url
    issuer.spec.acme.ca_bundle = base64.b64encode(proxy.tls.ca_path.read_bytes()).decode()
    return issuer


async def only_challenge(daemon: Daemon, done: Callable[[Challenge], bool]) -> Challenge:
    async with asyncio.timeout(60):
        while True:
            listed, _ = await daemon.store.list(Challenge, "default")
            if len(listed) == 1 and done(listed[0]):
                return listed[0]
            await asyncio.sleep(0.05)


async def test_an_answer_whose_reply_is_lost_is_not_sent_again_and_the_challenge_succeeds(
    daemons: StartDaemon, pebble: PebbleServer, proxy: FlakyAcmeProxy
) -> None:
    # Answering again would be refused by pebble ("only status pending") and, as a refusal, fail
    # the challenge: certpilot must see the challenge is past pending and wait for the verdict.
    proxy.answers_to_drop_replies_of = 1
    daemon = await daemons()
    await daemon.create(issuer_behind(proxy, pebble))
    await daemon.create(certificate("lost-reply", ["lost-reply.example.test"]))
    await daemon.wait_ready("lost-reply")

    assert proxy.dropped_replies and proxy.dropped_replies[0].startswith("/chalZ/")
    challenge = await only_challenge(daemon, lambda c: True)
    assert challenge.status is not None and challenge.status.state == State.VALID
    orders, _ = await daemon.store.list(Order, "default")
    assert len(orders) == 1


async def test_an_unreachable_acme_server_mid_challenge_is_retried_until_it_is_back(
    daemons: StartDaemon, pebble: PebbleServer, proxy: FlakyAcmeProxy
) -> None:
    daemon = await daemons()
    # Accepting waits 1s after presenting: the moment the network goes down.
    await daemon.create(issuer_behind(proxy, pebble, waitInsteadOfSelfCheck="1s"))
    await daemon.create(certificate("outage", ["outage.example.test"]))
    await only_challenge(daemon, lambda c: bool(c.status and c.status.presented))
    proxy.abort_everything = True
    async with asyncio.timeout(60):
        while True:
            if proxy.aborted >= 3:
                break
            await asyncio.sleep(0.05)
    during = await only_challenge(daemon, lambda c: True)
    assert during.status is not None and during.status.state not in (State.ERRORED, State.INVALID)
    proxy.abort_everything = False

    await daemon.wait_ready("outage")
    orders, _ = await daemon.store.list(Order, "default")
    assert len(orders) == 1
