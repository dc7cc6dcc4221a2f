"""IP address certificates from ACME (RFC 8738) against pebble 2.10.1: http-01 and tls-alpn-01 (the
CA dials the address itself, with the reverse-DNS name as SNI for tls-alpn-01), no IP in the common
name, and a clear refusal when only a dns-01 solver is configured."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from cryptography import x509

from certpilot.api.acme import Order
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.core import Secret
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.acme_issuance.issuance_harness import (
    Daemon,
    acme_issuer,
    certificate,
    chain_of,
    condition_is,
    openssl_verify,
    rfc2136_solver,
    tsig_secret,
)
from tests.e2e.acme_issuance.modern_pebble_harness import modern_pebble_server

StartDaemon = Callable[..., Awaitable[Daemon]]


@pytest.fixture
def modern(pebble_factory: Callable[..., PebbleServer], modern_pebble: Path) -> PebbleServer:
    return modern_pebble_server(pebble_factory, modern_pebble)


async def issued_ip_certificate(
    daemon: Daemon, pebble: PebbleServer, name: str, tmp_path: Path
) -> x509.Certificate:
    await daemon.create(acme_issuer(pebble))
    await daemon.create(certificate(name, [], ip_addresses=["127.0.0.1"]))
    await daemon.wait_ready(name)
    secret = await daemon.get(Secret, f"{name}-tls")
    assert secret is not None
    verified = openssl_verify(chain_of(secret), pebble.fetch_root(), tmp_path)
    assert verified.returncode == 0, verified.stderr
    return x509.load_pem_x509_certificate(chain_of(secret))


def assert_ip_only(leaf: x509.Certificate) -> None:
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert sans.get_values_for_type(x509.DNSName) == []
    assert leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME) == []


async def test_an_ip_certificate_is_issued_through_http01(
    daemons: StartDaemon, modern: PebbleServer, tmp_path: Path
) -> None:
    daemon = await daemons()
    leaf = await issued_ip_certificate(daemon, modern, "ip-http", tmp_path)
    assert_ip_only(leaf)
    orders, _ = await daemon.store.list(Order, "default")
    assert [(o.spec.ip_addresses, o.spec.common_name) for o in orders] == [(["127.0.0.1"], None)]


async def test_an_ip_certificate_is_issued_through_tlsalpn01_with_the_reverse_name_as_sni(
    daemons: StartDaemon, modern: PebbleServer, tlsalpn01_port: int, tmp_path: Path
) -> None:
    daemon = await daemons(http01_listen=(), tlsalpn01_listen=(f"127.0.0.1:{tlsalpn01_port}",))
    assert_ip_only(await issued_ip_certificate(daemon, modern, "ip-alpn", tmp_path))


async def test_an_ip_common_name_is_refused_with_the_field_named(
    daemons: StartDaemon, modern: PebbleServer
) -> None:
    daemon = await daemons()
    await daemon.create(acme_issuer(modern))
    await daemon.create(certificate("ip-cn", [], ip_addresses=["127.0.0.1"], common_name="127.0.0.1"))
    requests_ = await wait_failed_request(daemon)
    assert "spec.commonName '127.0.0.1' is an IP address" in requests_
    orders, _ = await daemon.store.list(Order, "default")
    assert orders == []


async def test_a_dns01_only_issuer_refuses_an_ip_naming_the_solver(
    daemons: StartDaemon, modern: PebbleServer
) -> None:
    daemon = await daemons()
    await daemon.create(tsig_secret(daemon.bind))
    await daemon.create(acme_issuer(modern, solvers=[rfc2136_solver(daemon.bind)]))
    await daemon.create(certificate("ip-dns", [], ip_addresses=["127.0.0.1"]))
    order = await daemon.wait_for(
        Order, await only_order_name(daemon), lambda o: bool(o.status and o.status.reason)
    )
    assert order.status is not None and order.status.reason is not None
    assert "'127.0.0.1' can only be validated by http-01 or tls-alpn-01" in order.status.reason
    assert "solver #0 (dns01)" in order.status.reason


async def only_order_name(daemon: Daemon) -> str:
    async def named() -> str:
        while True:
            orders, _ = await daemon.store.list(Order, "default")
            if orders:
                return orders[0].name
            await asyncio.sleep(0.05)

    async with asyncio.timeout(60):
        return await named()


async def wait_failed_request(daemon: Daemon) -> str:
    async with asyncio.timeout(60):
        while True:
            found, _ = await daemon.store.list(CertificateRequest, "default")
            for request in found:
                if condition_is("Ready", "False", "Failed")(request):
                    conditions = request.status.conditions if request.status else None
                    return " ".join(c.message or "" for c in conditions or ())
            await asyncio.sleep(0.05)
