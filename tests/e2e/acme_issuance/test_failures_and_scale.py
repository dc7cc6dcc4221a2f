"""An unreachable solver fails the Challenge, Order, request and Certificate (which backs off) and a
renew after the fix issues it; badNonce storms; 100 Certificates through a 10-challenge scheduler."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import dns.message
import dns.query
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import dns.update
import pytest

from certpilot.acme.scheduler import view_of
from certpilot.api.acme import Challenge, Order
from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import set_condition
from certpilot.store.errors import Conflict
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.acme_issuance.issuance_harness import NAMESPACE, Daemon, acme_issuer, certificate, condition_is

StartDaemon = Callable[..., Awaitable[Daemon]]


def set_a_record(bind: BindServer, name: str, address: str | None) -> None:
    """Point `name` at `address` in BIND (None: back to the zone's wildcard, 127.0.0.1)."""
    keyring = dns.tsigkeyring.from_text({bind.tsig_key_name: bind.tsig_secret})
    update = dns.update.UpdateMessage(f"{bind.zone}.", keyring=keyring, keyalgorithm=dns.tsig.HMAC_SHA256)
    update.delete(f"{name}.")
    if address is not None:
        update.add(f"{name}.", 60, "A", address)
    response = dns.query.tcp(update, bind.host, port=bind.port, timeout=5)
    assert response.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(response.rcode())
    assert a_records(bind, name) == [address or "127.0.0.1"]


def a_records(bind: BindServer, name: str) -> list[str]:
    response = dns.query.udp(dns.message.make_query(f"{name}.", "A"), bind.host, port=bind.port, timeout=5)
    return [rdata.to_text() for rrset in response.answer for rdata in rrset]


async def renew(daemon: Daemon, name: str) -> None:
    """What `certpilot renew` does: Issuing=True, reason ManuallyTriggered (retried on conflicts)."""
    while True:
        cert = await daemon.store.get(Certificate, name, NAMESPACE)
        assert cert.status is not None
        cert.status.conditions = set_condition(
            cert.status.conditions, "Issuing", "True", "ManuallyTriggered", "renew", datetime.now(UTC)
        )
        try:
            await daemon.store.update_status(cert)
        except Conflict:
            continue
        return


async def test_unreachable_solver_fails_everything_then_renew_after_the_fix_issues(
    daemons: StartDaemon, pebble: PebbleServer, bind: BindServer
) -> None:
    name = "broken.example.test"
    set_a_record(bind, name, "127.0.0.2")  # nothing listens there: pebble cannot connect
    daemon = await daemons()
    await daemon.create(acme_issuer(pebble))
    await daemon.create(certificate("broken", [name]))

    cert = await daemon.wait_for(
        Certificate, "broken", lambda c: bool(c.status and c.status.last_failure_time)
    )
    assert cert.status is not None and cert.status.failed_issuance_attempts == 1
    assert condition_is("Ready", "False")(cert)
    challenges, _ = await daemon.store.list(Challenge, NAMESPACE)
    assert [c.status.state for c in challenges if c.status] == ["invalid"]
    reason = challenges[0].status.reason if challenges[0].status else None
    assert reason and "urn:ietf:params:acme:error:connection" in reason and "127.0.0.2" in reason
    orders, _ = await daemon.store.list(Order, NAMESPACE)
    assert [o.status.state for o in orders if o.status] == ["invalid"]
    requests, _ = await daemon.store.list(CertificateRequest, NAMESPACE)
    assert [condition_is("Ready", "False", "Failed")(r) for r in requests] == [True]

    set_a_record(bind, name, None)
    await renew(daemon, "broken")
    await daemon.wait_ready("broken")


async def test_twenty_certificates_become_ready_despite_bad_nonces(
    daemons: StartDaemon, pebble_factory: Callable[..., PebbleServer]
) -> None:
    pebble = pebble_factory("nonce", env={"PEBBLE_WFE_NONCEREJECT": "30"})
    daemon = await daemons(workers=4)
    await daemon.create(acme_issuer(pebble))
    for i in range(20):
        await daemon.create(certificate(f"nonce-{i}", [f"nonce-{i}.example.test"]))
    for i in range(20):
        await daemon.wait_ready(f"nonce-{i}", within_seconds=120)


@pytest.mark.slow
async def test_hundred_certificates_respect_the_challenge_limit_and_lanes(
    daemons: StartDaemon, pebble: PebbleServer
) -> None:
    daemon = await daemons(workers=6, max_concurrent_challenges=10)
    await daemon.create(acme_issuer(pebble))
    # Pairs of Certificates share a DNS name, so the scheduler must keep their Challenges apart.
    for i in range(100):
        await daemon.create(certificate(f"many-{i}", [f"shared-{i % 50}.example.test"]))

    most_processing = 0
    lane_clashes: list[tuple[str, str]] = []
    done = asyncio.Event()

    async def observe() -> None:
        nonlocal most_processing
        while not done.is_set():
            challenges, _ = await daemon.store.list(Challenge, NAMESPACE)
            processing = [view_of(c) for c in challenges if c.status and c.status.processing]
            most_processing = max(most_processing, len(processing))
            lanes = [v.lane for v in processing]
            lane_clashes.extend(lane for lane in set(lanes) if lanes.count(lane) > 1)
            await asyncio.sleep(0.01)

    observer = asyncio.create_task(observe())
    try:
        for i in range(100):
            await daemon.wait_ready(f"many-{i}", within_seconds=180)
    finally:
        done.set()
        await observer
    assert 0 < most_processing <= 10
    assert lane_clashes == []
