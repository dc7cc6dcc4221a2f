"""A broken CA Secret: the Issuer goes not Ready with a reason, Certificates wait quietly, and both
recover by themselves once the Secret is fixed (daemon as a child process, real SQLite store)."""

from __future__ import annotations

import re
import urllib.request

import pytest

from certpilot.api.certificate import Certificate
from certpilot.api.conditions import get_condition, set_condition
from certpilot.api.core import Secret
from certpilot.api.issuer import Issuer
from certpilot.pki.keys import encode_private_key
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.builders import certificate, ec_key, issuer_ca, secret_tls, self_signed_for
from certpilot.testing.peers.ports import free_port
from tests.e2e.certificates.daemon_harness import DaemonFactory, eventually, ready_certificate

pytestmark = pytest.mark.timeout(180)


def sync_errors(port: int) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return sum(
        float(v) for v in re.findall(r"^certmanager_controller_sync_error_count\{[^}]*\} (\S+)$", text, re.M)
    )


async def issuer_condition(store: SQLiteStore, status: str) -> str | None:
    issuer = await store.get(Issuer, "ca", "default")
    ready = get_condition(issuer.status.conditions if issuer.status else None, "Ready")
    return ready.reason if ready is not None and ready.status == status else None


async def test_broken_ca_secret_waits_quietly_and_recovers(
    daemon_factory: DaemonFactory, store: SQLiteStore
) -> None:
    port = free_port()
    daemon_factory("--metrics-listen", f"127.0.0.1:{port}")
    # A CA Secret the user provides (no Certificate manages it, so nothing re-issues it).
    ca_key = ec_key()
    ca_cert = self_signed_for(certificate("ca", is_ca=True, common_name="user CA"), ca_key)
    await store.create(secret_tls("ca-tls", cert_pem=ca_cert, key_pem=encode_private_key(ca_key)))
    await store.create(issuer_ca())
    await store.create(certificate("leaf", dns_names=["leaf.example.test"]))
    await ready_certificate(store, "leaf")

    # Break the CA: its key no longer parses.
    ca_secret = await store.get(Secret, "ca-tls", "default")
    good_key = ca_secret.get_data("tls.key") or b""
    ca_secret.set_data("tls.key", b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    await store.update(ca_secret)
    reason = await eventually(lambda: issuer_condition(store, "False"), 30, "Issuer not Ready")
    assert reason == "ErrGetKeyPair"

    # Ask for a new certificate and a renewal while the CA is broken: they wait, without errors piling up.
    await store.create(certificate("waiting", dns_names=["waiting.example.test"]))
    leaf = await store.get(Certificate, "leaf", "default")
    assert leaf.status is not None
    leaf.status.conditions = set_condition(
        leaf.status.conditions,
        "Issuing",
        "True",
        "ManuallyTriggered",
        "renew",
        leaf.metadata.creation_timestamp,
    )
    await store.update_status(leaf)
    errors_before = sync_errors(port)
    await eventually(lambda: _sleep_then_true(5.0), 10, "a quiet window")
    assert sync_errors(port) - errors_before <= 2
    waiting = await store.get(Certificate, "waiting", "default")
    ready = get_condition(waiting.status.conditions if waiting.status else None, "Ready")
    assert ready is None or ready.status != "True"

    # Fix the Secret: the Issuer and both Certificates recover on their own.
    ca_secret = await store.get(Secret, "ca-tls", "default")
    ca_secret.set_data("tls.key", good_key)
    await store.update(ca_secret)
    assert await eventually(lambda: issuer_condition(store, "True"), 30, "Issuer Ready") == "KeyPairVerified"
    await ready_certificate(store, "waiting")
    await ready_certificate(store, "leaf", min_revision=2)


async def _sleep_then_true(seconds: float) -> bool:
    import asyncio

    await asyncio.sleep(seconds)
    return True
