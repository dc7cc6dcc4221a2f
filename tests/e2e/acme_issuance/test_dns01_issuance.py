"""DNS-01 through RFC2136 (TSIG-signed updates) on BIND: apex + wildcard in one Certificate, and
deleting a Certificate mid-issuance cleaning up its Order, Challenges and TXT records."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from cryptography import x509

from certpilot.api.acme import Challenge, Order
from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.core import Secret
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.pebble import PebbleServer
from certpilot.testing.peers.ports import free_port
from tests.e2e.acme_issuance.issuance_harness import (
    Daemon,
    acme_issuer,
    certificate,
    chain_of,
    openssl_verify,
    rfc2136_solver,
    tsig_secret,
)

StartDaemon = Callable[..., Awaitable[Daemon]]


async def test_wildcard_and_apex_over_dns01_become_ready(
    daemons: StartDaemon, pebble: PebbleServer, bind: BindServer, tmp_path: Path
) -> None:
    daemon = await daemons()
    await daemon.create(tsig_secret(bind))
    await daemon.create(acme_issuer(pebble, solvers=[rfc2136_solver(bind)]))
    await daemon.create(certificate("wild", ["dns.example.test", "*.dns.example.test"]))
    await daemon.wait_ready("wild")

    secret = await daemon.get(Secret, "wild-tls")
    assert secret is not None
    chain = chain_of(secret)
    verified = openssl_verify(chain, pebble.fetch_root(), tmp_path)
    assert verified.returncode == 0, verified.stderr
    leaf = x509.load_pem_x509_certificates(chain)[0]
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(sans.get_values_for_type(x509.DNSName)) == ["*.dns.example.test", "dns.example.test"]
    challenges, _ = await daemon.store.list(Challenge, "default")
    assert sorted((c.spec.type, bool(c.spec.wildcard)) for c in challenges) == [
        ("DNS-01", False),
        ("DNS-01", True),
    ]
    # Both TXT values were removed once validated.
    assert bind.query_txt("_acme-challenge.dns.example.test") == []


async def test_deleting_a_certificate_mid_issuance_cleans_up_order_challenges_and_records(
    daemons: StartDaemon, pebble: PebbleServer, bind: BindServer
) -> None:
    # The self-check can never pass (it also asks a nameserver that does not answer), so the
    # challenge stays presented: the moment to delete the Certificate.
    silent = f"127.0.0.1:{free_port(udp_too=True)}"
    daemon = await daemons(
        dns01_recursive_nameservers=(bind.address, silent), dns01_recursive_nameservers_only=True
    )
    await daemon.create(tsig_secret(bind))
    await daemon.create(acme_issuer(pebble, solvers=[rfc2136_solver(bind)]))
    await daemon.create(certificate("gone", ["gone.example.test"]))
    challenge = None
    async with asyncio.timeout(60):
        while challenge is None:
            listed, _ = await daemon.store.list(Challenge, "default")
            challenge = next((c for c in listed if c.status and c.status.presented), None)
            await asyncio.sleep(0.05)
    assert bind.query_txt("_acme-challenge.gone.example.test") != []

    await daemon.store.delete(Certificate, "gone", "default")
    await daemon.wait_gone(Challenge, challenge.name)
    orders, _ = await daemon.store.list(Order, "default")
    requests, _ = await daemon.store.list(CertificateRequest, "default")
    assert orders == [] and requests == []
    assert bind.query_txt("_acme-challenge.gone.example.test") == []
