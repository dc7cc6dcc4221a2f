"""Peers that lose their state while certpilot works, made certain rather than hoped for by chaos:

- pebble restarted while an Order is in flight forgets the ACME account and the Order: the issuer
  registers its account again (the server answers accountDoesNotExist), the Challenge the server no
  longer knows (a 4xx answer) fails its Order, and the Certificate is issued by a new one;
- an Order created at pebble just before a kill and a pebble restart points at an authorization
  pebble no longer knows: creating its Challenges is refused (404), so the Order is errored;
- BIND restarted from its zone file after a DNS-01 record was presented loses the record: it is
  presented again once the self-check has failed for a while, and the Certificate is issued.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from certpilot.api.acme import ACMEAuthorization, ACMEChallenge, Challenge, Order, OrderSpec, OrderStatus
from certpilot.api.certificate import Certificate
from certpilot.api.common import IssuerReference
from certpilot.api.enums import State
from certpilot.api.issuer import Issuer
from certpilot.api.meta import ObjectMeta
from certpilot.pki.csr import build_csr, csr_to_pem
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.audit import audit_store, is_ready
from certpilot.testing.builders import ec_key
from certpilot.testing.chaos import NAMESPACE, DaemonProcess, Peers, certificates, daemon_arguments, issuers
from certpilot.testing.peers.bind import bind_server
from certpilot.testing.peers.openbao import OpenBaoNotInstalled

pytestmark = [pytest.mark.slow, pytest.mark.peers, pytest.mark.timeout(240)]


async def until(probe: Callable[[], Awaitable[bool]], limit: float, what: str) -> None:
    deadline = time.monotonic() + limit
    while not await probe():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[Peers, SQLiteStore]]:
    try:
        peers = Peers.start(tmp_path / "peers", nonce_reject=0, vault=False)
    except (FileNotFoundError, OpenBaoNotInstalled) as error:
        pytest.skip(f"needs pebble and BIND (apt-get install pebble bind9): {error}")
    store = SQLiteStore(tmp_path / "store.db")
    try:
        for obj in issuers(peers):
            await store.create(obj)
        yield peers, store
    finally:
        await store.close()
        peers.stop()


def daemon(tmp_path: Path, peers: Peers, self_check_nameserver: str | None = None) -> DaemonProcess:
    arguments = daemon_arguments(peers)
    if self_check_nameserver is not None:
        flag = arguments.index("--dns01-recursive-nameservers")
        arguments[flag + 1] = self_check_nameserver
        arguments.append("--dns01-recursive-nameservers-only")
    return DaemonProcess(tmp_path / "store.db", tmp_path / "out", tmp_path / "daemon.log", arguments)


async def account_uri(store: SQLiteStore) -> str | None:
    issuer = await store.get(Issuer, "acme-dns01", NAMESPACE)
    return issuer.status.acme.uri if issuer.status and issuer.status.acme else None


async def ready(store: SQLiteStore, name: str) -> bool:
    return is_ready(await store.get(Certificate, name, NAMESPACE))


async def test_pebble_restart_mid_order(world: tuple[Peers, SQLiteStore], tmp_path: Path) -> None:
    peers, store = world
    dns01 = certificates(3, peers)[2]  # the third of the mix uses the ACME DNS-01 issuer
    assert dns01.spec.issuer_ref.name == "acme-dns01"
    # Without BIND the record cannot be presented: the Order waits at pebble for its Challenge.
    peers.bind.stop()
    await store.create(dns01)
    running = daemon(tmp_path, peers)
    running.start()
    try:

        async def order_at_pebble() -> bool:
            orders, _ = await store.list(Order, NAMESPACE)
            return any(o.status is not None and o.status.url for o in orders)

        await until(order_at_pebble, 60, "an Order created at pebble")
        lost_account = await account_uri(store)
        await asyncio.to_thread(peers.restart, "pebble")
        await asyncio.to_thread(peers.bind.start)
        await until(lambda: ready(store, dns01.name), 120, f"{dns01.name} Ready after pebble restarted")
    finally:
        running.stop()
    assert (await audit_store(store, NAMESPACE, tmp_path / "out")).broken() == []
    assert lost_account is not None
    assert await account_uri(store) not in (None, lost_account), "the account was registered again"


async def test_bind_restart_loses_a_presented_record(
    world: tuple[Peers, SQLiteStore], tmp_path: Path
) -> None:
    peers, store = world
    dns01 = certificates(3, peers)[2]
    await store.create(dns01)
    # A self-check asking only another server for the zone (one that never gets the record)
    # cannot pass: it holds the Challenge presented.
    other = bind_server(tmp_path / "other-bind").start()
    holding = daemon(tmp_path, peers, self_check_nameserver=other.address)
    holding.start()
    try:

        async def presented() -> bool:
            challenges, _ = await store.list(Challenge, NAMESPACE)
            return any(c.status is not None and c.status.presented for c in challenges)

        await until(presented, 60, "the DNS-01 record presented")
    finally:
        holding.kill()
        other.stop()
    # BIND starts again from its zone file: the presented TXT record is gone.
    await asyncio.to_thread(peers.restart, "bind")
    assert dns01.spec.dns_names
    assert peers.bind.query_txt(f"_acme-challenge.{dns01.spec.dns_names[0]}") == []
    running = daemon(tmp_path, peers)
    running.start()
    try:
        await until(lambda: ready(store, dns01.name), 90, f"{dns01.name} Ready after BIND lost its record")
    finally:
        running.stop()
    assert (await audit_store(store, NAMESPACE, tmp_path / "out")).broken() == []


async def test_an_order_whose_authorization_the_server_forgot_is_errored(
    world: tuple[Peers, SQLiteStore], tmp_path: Path
) -> None:
    """The state a kill leaves when it lands between creating an Order at the server and creating
    its Challenges, followed by pebble restarting: the Order's authorization is unknown there."""
    peers, store = world
    running = daemon(tmp_path, peers)
    running.start()
    try:
        await until(lambda: account_uri_is_set(store, "acme-http01"), 60, "the ACME account registered")
        base = peers.pebble.directory_url.removesuffix("/dir")
        name = f"forgotten.{peers.bind.zone}"
        csr = build_csr(certificates(1, peers)[0].spec.model_copy(update={"dns_names": [name]}), ec_key())
        order = await store.create(
            Order(
                metadata=ObjectMeta(name="forgotten", namespace=NAMESPACE),
                spec=OrderSpec(
                    request=base64.b64encode(csr_to_pem(csr)).decode(),
                    issuer_ref=IssuerReference(name="acme-http01"),
                    dns_names=[name],
                ),
            )
        )
        order.status = OrderStatus(
            url=f"{base}/my-order/forgotten",
            finalize_url=f"{base}/finalize-order/forgotten",
            authorizations=[
                ACMEAuthorization(
                    url=f"{base}/authZ/forgotten",
                    identifier=name,
                    initial_state=State.PENDING,
                    challenges=[
                        ACMEChallenge(url=f"{base}/chalZ/forgotten", token="forgotten", type="http-01")
                    ],
                )
            ],
            state=State.PENDING,
        )
        await store.update_status(order)

        async def errored() -> bool:
            found = await store.get(Order, "forgotten", NAMESPACE)
            return found.status is not None and found.status.state == State.ERRORED

        await until(errored, 60, "the Order errored")
    finally:
        running.stop()
    found = await store.get(Order, "forgotten", NAMESPACE)
    assert found.status is not None and found.status.reason
    assert found.status.reason.startswith("ACME server refused: reading the ACME authorization")


async def account_uri_is_set(store: SQLiteStore, issuer: str) -> bool:
    found = await store.get(Issuer, issuer, NAMESPACE)
    return bool(found.status and found.status.acme and found.status.acme.uri)
