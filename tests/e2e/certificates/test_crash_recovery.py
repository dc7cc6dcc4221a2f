"""kill -9 the daemon at random moments while 50 Certificates issue and renew, restart it each
time: everything converges, keys match, rotationPolicy Never keeps its key, and no revision ever
has two CertificateRequests."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime

import pytest
from cryptography import x509

from certpilot.api import annotations as ann
from certpilot.api.certificate import Certificate, CertificatePrivateKey
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import set_condition
from certpilot.api.core import Secret
from certpilot.api.enums import PrivateKeyAlgorithm, RotationPolicy
from certpilot.pki.keys import parse_private_key, public_key_matches
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.builders import certificate, issuer_ca, issuer_selfsigned
from tests.e2e.certificates.daemon_harness import Daemon, DaemonFactory, eventually, is_ready

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

COUNT = 50
KILLS_PER_PHASE = 10


def key_spec(index: int) -> CertificatePrivateKey:
    policy = RotationPolicy.NEVER if index % 2 else RotationPolicy.ALWAYS
    return CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, rotation_policy=policy)


async def assert_one_request_per_revision(store: SQLiteStore) -> None:
    requests, _ = await store.list(CertificateRequest, "default")
    per_revision = Counter(
        (
            (r.metadata.annotations or {}).get(ann.CERTIFICATE_NAME),
            (r.metadata.annotations or {}).get(ann.CERTIFICATE_REVISION),
        )
        for r in requests
    )
    duplicated = [k for k, n in per_revision.items() if n > 1]
    assert not duplicated, f"revisions with two CertificateRequests: {duplicated}"


async def crash_repeatedly(daemon: Daemon, store: SQLiteStore, rng: random.Random) -> None:
    for _ in range(KILLS_PER_PHASE):
        daemon.start()
        await asyncio.sleep(rng.uniform(1.0, 3.0))
        daemon.kill()
        await assert_one_request_per_revision(store)
    daemon.start()


async def all_ready(store: SQLiteStore, min_revision: int) -> list[Certificate] | None:
    certs, _ = await store.list(Certificate, "default")
    leaves = [c for c in certs if c.name.startswith("leaf-")]
    return leaves if len(leaves) == COUNT and all(is_ready(c, min_revision) for c in leaves) else None


async def keys_by_name(store: SQLiteStore) -> dict[str, bytes]:
    secrets, _ = await store.list(Secret, "default")
    return {s.name: s.get_data("tls.key") or b"" for s in secrets if s.name.startswith("leaf-")}


async def test_kill_9_twenty_times_while_issuing(daemon_factory: DaemonFactory, store: SQLiteStore) -> None:
    rng = random.Random(20261128)
    daemon: Daemon = daemon_factory()
    await store.create(issuer_selfsigned())
    await store.create(
        certificate("root", issuer="selfsigned", is_ca=True, common_name="root", secret_name="ca-tls")
    )
    await store.create(issuer_ca())
    for index in range(COUNT):
        await store.create(certificate(f"leaf-{index}", private_key=key_spec(index)))
    daemon.kill()
    await crash_repeatedly(daemon, store, rng)
    await eventually(lambda: all_ready(store, 1), 120, "all Certificates Ready after the first crashes")
    first_keys = await keys_by_name(store)

    # Renew everything (as `cmctl renew` does), and crash again while it happens.
    for index in range(COUNT):
        cert = await store.get(Certificate, f"leaf-{index}", "default")
        assert cert.status is not None
        cert.status.conditions = set_condition(
            cert.status.conditions, "Issuing", "True", "ManuallyTriggered", "renew", datetime.now(UTC)
        )
        await store.update_status(cert)
    daemon.kill()
    await crash_repeatedly(daemon, store, rng)
    certs = await eventually(lambda: all_ready(store, 2), 120, "all Certificates Ready after renewal crashes")
    await assert_one_request_per_revision(store)

    secrets, _ = await store.list(Secret, "default")
    by_name = {s.name: s for s in secrets}
    for cert in certs:
        secret = by_name[cert.spec.secret_name]
        leaf = x509.load_pem_x509_certificates(secret.get_data("tls.crt") or b"")[0]
        key_pem = secret.get_data("tls.key") or b""
        assert public_key_matches(leaf, parse_private_key(key_pem)), cert.name
        never = (
            cert.spec.private_key is not None
            and cert.spec.private_key.rotation_policy == RotationPolicy.NEVER
        )
        if never:
            assert key_pem == first_keys[cert.spec.secret_name], f"{cert.name} (Never) changed its key"
        else:
            assert key_pem != first_keys[cert.spec.secret_name], f"{cert.name} (Always) kept its key"

    async def next_keys_gone() -> bool:
        found, _ = await store.list(Secret, "default", label_selector="cert-manager.io/next-private-key=true")
        return not found

    await eventually(next_keys_gone, 60, "temporary next-key Secrets deleted")
