"""Renewals over fake time, with every controller in-process on a real SQLite store and the CA
issuer signing: short-lived certificates keep being renewed with no gap in validity, and a
rotated CA makes every leaf it signed renew, spread over the rotation window."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from certpilot.api.certificate import Certificate, CertificatePrivateKey
from certpilot.api.core import Secret
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.pki.keys import encode_private_key
from certpilot.store.errors import NotFound
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.builders import certificate, issuer_ca, secret_tls
from certpilot.testing.clock import FakeClock
from tests.unit.controllers.running_controllers import controllers_running

pytestmark = pytest.mark.timeout(180)
START = datetime.now(UTC).replace(microsecond=0)
EC = CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256)


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[tuple[SQLiteStore, FakeClock]]:
    clock = FakeClock(START)
    store = SQLiteStore(tmp_path / "store.db", clock=clock)
    async with controllers_running(store, clock=clock):
        yield store, clock


def ca_secret(now: datetime) -> tuple[Secret, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "certpilot rotation CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return secret_tls(
        "ca-tls", cert_pem=cert.public_bytes(Encoding.PEM), key_pem=encode_private_key(key)
    ), cert


async def leaf_of(store: SQLiteStore, name: str) -> x509.Certificate | None:
    try:
        secret = await store.get(Secret, f"{name}-tls", "default")
    except NotFound:
        return None
    pem = secret.get_data("tls.crt")
    return x509.load_pem_x509_certificate(pem) if pem else None


async def run_until(
    clock: FakeClock, done: Callable[[], Awaitable[bool]], limit: timedelta, what: str
) -> None:
    """Let the controllers work; whenever they have gone quiet, move fake time on to the next
    moment one of them waits for (at most `limit` of fake time, and a minute of real time)."""
    deadline, real_deadline = clock.now() + limit, time.monotonic() + 60
    while not await done():
        if clock.now() > deadline or time.monotonic() > real_deadline:
            raise AssertionError(f"{what}: not by {deadline.isoformat()} (fake time)")
        for _ in range(10):
            await asyncio.sleep(0.01)
            if await done():
                return
        wake = clock.next_deadline()
        clock.set(max(clock.now() + timedelta(seconds=1), min(wake or deadline, deadline)))


async def test_one_hour_certificates_renew_at_half_their_life_with_no_gap(
    running: tuple[SQLiteStore, FakeClock],
) -> None:
    store, clock = running
    secret, _ = ca_secret(clock.now())
    await store.create(secret)
    await store.create(issuer_ca())
    await store.create(certificate("short", private_key=EC, duration="1h"))
    leaves: list[x509.Certificate] = []

    async def renewed() -> bool:
        leaf = await leaf_of(store, "short")
        if leaf is not None and (not leaves or leaf.serial_number != leaves[-1].serial_number):
            leaves.append(leaf)
        return len(leaves) >= 4

    await run_until(clock, renewed, timedelta(hours=3), "three renewals")
    for before, after in itertools.pairwise(leaves):
        lifetime = before.not_valid_after_utc - before.not_valid_before_utc
        assert lifetime == timedelta(hours=1)
        # At half the lifetime (certbot's rule), moved earlier by at most 10% of the 30 minutes left.
        renewed_after = after.not_valid_before_utc - before.not_valid_before_utc
        assert timedelta(minutes=27) <= renewed_after <= timedelta(minutes=30, seconds=1)
        assert after.not_valid_before_utc <= before.not_valid_after_utc


async def test_a_rotated_ca_renews_every_leaf_it_signed_spread_over_the_hour_after(
    running: tuple[SQLiteStore, FakeClock],
) -> None:
    store, clock = running
    secret, old_ca = ca_secret(clock.now())
    await store.create(secret)
    await store.create(issuer_ca())
    names = [f"leaf-{n}" for n in range(8)]
    for name in names:
        await store.create(certificate(name, private_key=EC))

    async def all_signed_by(ca: x509.Certificate) -> bool:
        for name in names:
            leaf = await leaf_of(store, name)
            if leaf is None or leaf.issuer != ca.subject or not _verifies(leaf, ca):
                return False
        return True

    await run_until(clock, lambda: all_signed_by(old_ca), timedelta(minutes=1), "issued")
    clock.advance(timedelta(days=1).total_seconds())
    rotated_at = clock.now()
    current = await store.get(Secret, "ca-tls", "default")
    replacement, new_ca = ca_secret(rotated_at)
    current.data = replacement.data
    await store.update(current)

    # Every leaf's renewal time moves into the hour after the rotation, each its own.
    async def rescheduled() -> bool:
        certs, _ = await store.list(Certificate, "default")
        times = [c.status.renewal_time for c in certs if c.name in names and c.status]
        return len(times) == len(names) and all(
            t is not None and t <= rotated_at + timedelta(hours=1) for t in times
        )

    await run_until(clock, rescheduled, timedelta(seconds=1), "rescheduled")
    certs, _ = await store.list(Certificate, "default")
    due = sorted(
        c.status.renewal_time for c in certs if c.name in names and c.status and c.status.renewal_time
    )
    assert len(set(due)) >= len(names) - 1
    assert due[-1] - due[0] >= timedelta(minutes=10)
    # All renewed by the end of the hour after the rotation, each by the new CA.
    await run_until(clock, lambda: all_signed_by(new_ca), timedelta(hours=1, seconds=1), "re-signed")


def _verifies(leaf: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        leaf.verify_directly_issued_by(ca)
    except Exception:
        return False
    return True
