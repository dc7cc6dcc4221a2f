"""Revocation against pebble 2.10.1: `certpilot revoke` (a real CLI process on the daemon's store)
with the account key and with the certificate's own key, the superseded certificate revoked after a
renewal (certpilot.io/revoke-superseded), and the record kept (Event, annotations, never a key).
pebble's management API (`/cert-status-by-serial/<hex>`) is the judge."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from cryptography import x509

from certpilot.acme.client import AcmeClient
from certpilot.acme.client_errors import AcmeError
from certpilot.api import annotations as keys
from certpilot.api.certificate import Certificate
from certpilot.api.core import Event, Secret
from certpilot.issuers.acme_account import AccountKey, private_key_hash
from certpilot.pki.keys import parse_private_key
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.acme_issuance.issuance_harness import Daemon, acme_issuer, certificate, chain_of
from tests.e2e.acme_issuance.modern_pebble_harness import certificate_status, modern_pebble_server

StartDaemon = Callable[..., Awaitable[Daemon]]


@pytest.fixture
def modern(pebble_factory: Callable[..., PebbleServer], modern_pebble: Path) -> PebbleServer:
    return modern_pebble_server(pebble_factory, modern_pebble)


async def certpilot(daemon: Daemon, *args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "certpilot.cli",
        *args,
        "--store",
        str(daemon.store.path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def issued(
    daemon: Daemon, pebble: PebbleServer, name: str, annotations: dict[str, str] | None = None
) -> tuple[Secret, x509.Certificate]:
    await daemon.create(acme_issuer(pebble))
    wanted = certificate(name, [f"{name}.example.test"])
    wanted.metadata.annotations = annotations
    await daemon.create(wanted)
    await daemon.wait_ready(name)
    secret = await daemon.get(Secret, f"{name}-tls")
    assert secret is not None
    return secret, x509.load_pem_x509_certificate(chain_of(secret))


async def revoked_events(daemon: Daemon, reason: str = "Revoked") -> list[Event]:
    events, _ = await daemon.store.list(Event, "default")
    return [e for e in events if e.reason == reason]


async def test_revoke_with_the_account_key_is_seen_by_the_ca_and_recorded(
    daemons: StartDaemon, modern: PebbleServer
) -> None:
    daemon = await daemons()
    secret, leaf = await issued(daemon, modern, "rv-account")
    assert certificate_status(modern, leaf.serial_number)["Status"] == "Valid"

    code, out, err = await certpilot(daemon, "revoke", "rv-account", "--reason", "keyCompromise")

    assert code == 0, err
    serial = f"{leaf.serial_number:x}"
    assert f"Revoked certificate serial {serial}" in out and "reason keyCompromise" in out
    status = certificate_status(modern, leaf.serial_number)
    assert status["Status"] == "Revoked", status
    cert = await daemon.get(Certificate, "rv-account")
    assert cert is not None
    assert (cert.metadata.annotations or {})[keys.REVOKED_SERIAL] == serial
    assert (cert.metadata.annotations or {})[keys.REVOCATION_REASON] == "keyCompromise"
    [event] = await revoked_events(daemon)
    assert serial in (event.message or "") and "keyCompromise" in (event.message or "")
    key_pem = secret.get_data("tls.key") or b""
    assert key_pem and key_pem.decode().splitlines()[1] not in out + err + (event.message or "")


async def test_revoke_with_the_certificate_key_needs_no_account(
    daemons: StartDaemon, modern: PebbleServer
) -> None:
    daemon = await daemons()
    _, leaf = await issued(daemon, modern, "rv-own-key")

    code, out, err = await certpilot(
        daemon, "revoke", "rv-own-key", "--reason", "superseded", "--use-certificate-key"
    )

    assert code == 0, err
    assert f"serial {leaf.serial_number:x}" in out
    assert certificate_status(modern, leaf.serial_number)["Status"] == "Revoked"


async def test_reason_7_is_refused_by_certpilot_and_by_the_ca(
    daemons: StartDaemon, modern: PebbleServer
) -> None:
    daemon = await daemons()
    secret, leaf = await issued(daemon, modern, "rv-seven")

    code, _, err = await certpilot(daemon, "revoke", "rv-seven", "--reason", "7")

    assert code == 1
    assert "--reason: revocation reason '7' is not an RFC 5280 reason" in err and "7 is unassigned" in err
    assert certificate_status(modern, leaf.serial_number)["Status"] == "Valid"
    # The CA refuses it too, with a problem certpilot reports as it came (the certificate's own key signs).
    key = parse_private_key(secret.get_data("tls.key") or b"")
    client = AcmeClient(
        modern.directory_url, AccountKey(key, private_key_hash(key)).jwk, verify=str(modern.ca_bundle_path)
    )
    with pytest.raises(AcmeError) as refused:
        await asyncio.to_thread(client.revoke, chain_of(secret), 7, signed_by_account=False)
    assert refused.value.code == "badRevocationReason"
    assert "revoking the certificate: the ACME server refused" in str(refused.value)


async def test_a_renewal_revokes_the_superseded_certificate_when_annotated(
    daemons: StartDaemon, modern: PebbleServer
) -> None:
    daemon = await daemons()
    _, first = await issued(daemon, modern, "rv-renew", {keys.REVOKE_SUPERSEDED: "true"})

    code, _, err = await certpilot(daemon, "renew", "rv-renew")
    assert code == 0, err
    renewed = await daemon.wait_for(
        Certificate, "rv-renew", lambda c: bool(c.status and (c.status.revision or 0) >= 2)
    )
    assert renewed is not None
    await daemon.wait_for(
        Certificate,
        "rv-renew",
        lambda c: (c.metadata.annotations or {}).get(keys.REVOKED_SERIAL) == f"{first.serial_number:x}",
    )
    assert certificate_status(modern, first.serial_number)["Status"] == "Revoked"
    secret = await daemon.get(Secret, "rv-renew-tls")
    assert secret is not None
    second = x509.load_pem_x509_certificate(chain_of(secret))
    assert second.serial_number != first.serial_number
    assert certificate_status(modern, second.serial_number)["Status"] == "Valid"
    [event] = await revoked_events(daemon)
    assert "superseded" in (event.message or "")
