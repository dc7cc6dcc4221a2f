"""dns-persist-01 against pebble 2.10.1 and BIND: an issuer annotated certpilot.io/dns-persist-01
writes one `_validation-persist.<name>` TXT record (RFC2136, through the DNS-01 provider) naming
pebble's issuer domain name and the account; a later order for the same name writes nothing (the
zone's SOA serial, which BIND bumps on every update, stays put) and the record is never removed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import dns.message
import dns.query
import dns.rdatatype
import pytest

from certpilot.api import annotations as keys
from certpilot.api.acme import Challenge
from certpilot.api.issuer import Issuer
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.acme_issuance.issuance_harness import (
    Daemon,
    acme_issuer,
    certificate,
    rfc2136_solver,
    tsig_secret,
)
from tests.e2e.acme_issuance.modern_pebble_harness import modern_pebble_server

StartDaemon = Callable[..., Awaitable[Daemon]]


@pytest.fixture
def modern(pebble_factory: Callable[..., PebbleServer], modern_pebble: Path) -> PebbleServer:
    return modern_pebble_server(pebble_factory, modern_pebble)


def soa_serial(bind: BindServer) -> int:
    """The zone's serial: BIND raises it on every dynamic update."""
    query = dns.message.make_query(f"{bind.zone}.", dns.rdatatype.SOA)
    response = dns.query.udp(query, bind.host, port=bind.port, timeout=5)
    return int(response.answer[0][0].serial)


async def persist_issuer(daemon: Daemon, pebble: PebbleServer) -> str:
    await daemon.create(tsig_secret(daemon.bind))
    issuer = acme_issuer(pebble, solvers=[rfc2136_solver(daemon.bind)])
    issuer.metadata.annotations = {keys.DNS_PERSIST: "true"}
    await daemon.create(issuer)
    ready = await daemon.wait_for(
        Issuer, "acme", lambda i: bool(i.status and i.status.acme and i.status.acme.uri)
    )
    assert ready.status is not None and ready.status.acme is not None and ready.status.acme.uri
    return ready.status.acme.uri


async def test_one_persistent_record_serves_every_later_order(
    daemons: StartDaemon, modern: PebbleServer
) -> None:
    daemon = await daemons()
    account_uri = await persist_issuer(daemon, modern)

    await daemon.create(certificate("persist-1", ["persist.example.test"]))
    await daemon.wait_ready("persist-1")

    record = daemon.bind.query_txt("_validation-persist.persist.example.test")
    assert record == [f"pebble.letsencrypt.org; accounturi={account_uri}"]
    assert daemon.bind.query_txt("_acme-challenge.persist.example.test") == []
    challenges, _ = await daemon.store.list(Challenge, "default")
    assert [(c.spec.type, c.status.state if c.status else None) for c in challenges] == [
        ("DNS-PERSIST-01", "valid")
    ]
    serial = soa_serial(daemon.bind)

    await daemon.create(certificate("persist-2", ["persist.example.test"]))
    await daemon.wait_ready("persist-2")

    assert soa_serial(daemon.bind) == serial, "the second order wrote to the zone"
    assert daemon.bind.query_txt("_validation-persist.persist.example.test") == record


async def test_a_wildcard_record_carries_policy_wildcard(daemons: StartDaemon, modern: PebbleServer) -> None:
    daemon = await daemons()
    account_uri = await persist_issuer(daemon, modern)

    await daemon.create(certificate("persist-wild", ["*.wild.example.test"]))
    await daemon.wait_ready("persist-wild")

    assert daemon.bind.query_txt("_validation-persist.wild.example.test") == [
        f"pebble.letsencrypt.org; accounturi={account_uri}; policy=wildcard"
    ]
