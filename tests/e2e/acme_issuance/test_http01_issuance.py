"""HTTP-01 and TLS-ALPN-01 issuance through the daemon's built-in listeners, verified with openssl."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from certpilot.api.acme import Challenge, Order
from certpilot.api.core import Event, Secret
from certpilot.api.issuer import Issuer
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.acme_issuance.issuance_harness import (
    Daemon,
    acme_issuer,
    certificate,
    chain_of,
    condition_is,
    openssl_verify,
)

StartDaemon = Callable[..., Awaitable[Daemon]]


async def test_http01_certificate_becomes_ready_and_verifies(
    daemons: StartDaemon, pebble: PebbleServer, tmp_path: Path
) -> None:
    daemon = await daemons()
    await daemon.create(acme_issuer(pebble))
    issuer = await daemon.wait_for(Issuer, "acme", condition_is("Ready", "True", "ACMEAccountRegistered"))
    assert issuer.status is not None and issuer.status.acme is not None
    assert issuer.status.acme.uri and issuer.status.acme.uri.startswith("https://127.0.0.1")
    assert issuer.status.acme.last_registered_email == "ops@example.test"
    assert await daemon.get(Secret, "acme-account-key") is not None

    await daemon.create(certificate("web", ["web.example.test"]))
    await daemon.wait_ready("web")

    secret = await daemon.get(Secret, "web-tls")
    assert secret is not None
    verified = openssl_verify(chain_of(secret), pebble.fetch_root(), tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert secret.get_data("ca.crt") is None  # ACME does not say which root it chains to

    orders, _ = await daemon.store.list(Order, "default")
    assert [o.status.state for o in orders if o.status] == ["valid"]
    challenges, _ = await daemon.store.list(Challenge, "default")
    assert [(c.spec.type, c.status.state if c.status else None) for c in challenges] == [("HTTP-01", "valid")]
    assert not any(c.status and c.status.processing for c in challenges)
    events, _ = await daemon.store.list(Event, "default")
    key = challenges[0].spec.key
    assert all(key not in (e.message or "") for e in events)


async def test_tlsalpn01_certificate_becomes_ready_when_only_the_tls_listener_runs(
    daemons: StartDaemon, pebble: PebbleServer, tlsalpn01_port: int, tmp_path: Path
) -> None:
    daemon = await daemons(http01_listen=(), tlsalpn01_listen=(f"127.0.0.1:{tlsalpn01_port}",))
    await daemon.create(acme_issuer(pebble))
    await daemon.create(certificate("alpn", ["alpn.example.test"]))
    await daemon.wait_ready("alpn")

    secret = await daemon.get(Secret, "alpn-tls")
    assert secret is not None
    verified = openssl_verify(chain_of(secret), pebble.fetch_root(), tmp_path)
    assert verified.returncode == 0, verified.stderr
    challenges, _ = await daemon.store.list(Challenge, "default")
    assert [c.spec.type for c in challenges] == ["TLS-ALPN-01"]
