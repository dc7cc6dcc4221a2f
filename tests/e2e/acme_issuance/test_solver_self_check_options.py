"""A solver's own DNS-01 `nameservers` and its `waitInsteadOfSelfCheck`, against pebble and BIND:
each lets a certificate be issued where the daemon's self-check, as configured by its flags,
could never pass."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from certpilot.api.acme import Challenge
from certpilot.server.metrics import REGISTRY
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.pebble import PebbleServer
from certpilot.testing.peers.ports import free_port
from tests.e2e.acme_issuance.issuance_harness import (
    Daemon,
    acme_issuer,
    certificate,
    rfc2136_solver,
    tsig_secret,
)

StartDaemon = Callable[..., Awaitable[Daemon]]


async def test_solver_nameservers_replace_the_daemons_recursive_nameservers(
    daemons: StartDaemon, pebble: PebbleServer, bind: BindServer
) -> None:
    silent = f"127.0.0.1:{free_port(udp_too=True)}"
    daemon = await daemons(dns01_recursive_nameservers=(silent,), dns01_recursive_nameservers_only=True)
    solver = rfc2136_solver(bind)
    solver["dns01"]["nameservers"] = [bind.address]
    await daemon.create(tsig_secret(bind))
    await daemon.create(acme_issuer(pebble, solvers=[solver]))
    await daemon.create(certificate("own-ns", ["own-ns.example.test"]))
    await daemon.wait_ready("own-ns")


async def test_wait_instead_of_self_check_accepts_a_challenge_the_self_check_never_passes(
    daemons: StartDaemon, pebble: PebbleServer, bind: BindServer
) -> None:
    # The self-check also asks a nameserver that never answers (as in the mid-issuance deletion
    # test): without the wait the Challenge would stay presented forever.
    silent = f"127.0.0.1:{free_port(udp_too=True)}"
    daemon = await daemons(
        dns01_recursive_nameservers=(bind.address, silent), dns01_recursive_nameservers_only=True
    )
    solver = rfc2136_solver(bind)
    solver["waitInsteadOfSelfCheck"] = "1s"
    await daemon.create(tsig_secret(bind))
    await daemon.create(acme_issuer(pebble, solvers=[solver]))
    await daemon.create(certificate("waited", ["waited.example.test"]))
    await daemon.wait_ready("waited")
    challenges, _ = await daemon.store.list(Challenge, "default")
    assert challenges
    for challenge in challenges:
        assert challenge.status is not None and challenge.status.presented_at is not None
        finished = await daemon.wait_for(
            Challenge, challenge.name, lambda c: c.status is not None and not c.status.processing
        )
        assert finished.status is not None
        # The daemon's cache feeds certmanager_certificate_challenge_status (once it has caught up).
        labels = {
            "status": "valid",
            "domain": "waited.example.test",
            "reason": finished.status.reason or "",
            "processing": "false",
            "name": challenge.name,
            "namespace": "default",
            "type": "DNS-01",
        }
        async with asyncio.timeout(10):
            while True:
                if REGISTRY.get_sample_value("certmanager_certificate_challenge_status", labels) == 1.0:
                    break
                await asyncio.sleep(0.05)
