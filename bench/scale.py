"""Scale: N Ready Certificates in one store — daemon memory, idle CPU, restart until all checked.

Seeding (not measured): a CA issuer and N Certificates with their Secrets are written through the
Store directly, with real ECDSA P-256 (or RSA) keys and leaves signed by the CA on every core, and
status.revision 1, as if issued earlier. A first daemon run (`certpilot run --output-dir`) then
checks them, repairs what it wants (Secret metadata, Ready condition, files) and must issue none;
it ends once every Certificate is Ready and the store has been quiet for a moment.

Measured, on a second daemon run over the same store (the restart):
- restart_to_checked_s: from spawning the process until every Certificate controller
  (certificates-trigger, -key-manager, -request-manager, -issuing, -readiness, -revision-manager)
  has reconciled every Certificate once — read from certmanager_controller_sync_call_count;
- restart_cpu_s: the daemon's CPU time (all threads) by then: steadier than the wall time on a
  shared machine, for comparing two trees;
- rss_mb / peak_rss_mb of the daemon once checked;
- restart_to_settled_s: until nothing at all moves any more (the files mirror included);
- idle_cpu_percent: the daemon's CPU time over --idle-seconds from then on, as % of a core
  (no scraping during that window);
- writes_on_restart: store changes made while checking (an idle restart should make none).

usage: python bench/scale.py [--n 10000] [--idle-seconds 60] [--key ecdsa|rsa] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from common import (
    CA_SECRET,
    NAMESPACE,
    Daemon,
    ReadyWatcher,
    bench_certificate,
    emit,
    machine_facts,
    running_daemon,
)
from crypto_floor import CaMaterial, issue_many, self_signed_ca

from certpilot.api.certificate import Certificate, CertificateStatus
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.builders import issued_annotations, issuer_ca, secret_tls

CERTIFICATE_CONTROLLERS = (
    "certificates-trigger",
    "certificates-key-manager",
    "certificates-request-manager",
    "certificates-issuing",
    "certificates-readiness",
    "certificates-revision-manager",
)
WRITE_BATCH = 1000
QUIET_S = 3.0


async def seed(store: SQLiteStore, n: int, key_type: str) -> float:
    """The CA issuer and n issued Certificates; returns the seconds it took."""
    started = time.perf_counter()
    ca = self_signed_ca()
    await store.create(secret_tls(CA_SECRET, NAMESPACE, cert_pem=ca.cert_pem, key_pem=ca.key_pem))
    await store.create(issuer_ca(secret_name=CA_SECRET, namespace=NAMESPACE))
    certificates = [bench_certificate(i, key_type) for i in range(n)]
    dns_names = [name for c in certificates for name in c.spec.dns_names or ()]
    pems = await asyncio.to_thread(issue_many, dns_names, key_type, ca)
    for start in range(0, n, WRITE_BATCH):
        batch = range(start, min(n, start + WRITE_BATCH))
        await asyncio.gather(*(seed_one(store, certificates[i], pems[i], ca) for i in batch))
    return time.perf_counter() - started


async def seed_one(store: SQLiteStore, cert: Certificate, pems: tuple[bytes, bytes], ca: CaMaterial) -> None:
    key_pem, chain_pem = pems
    leaf_pem = chain_pem[
        : chain_pem.index(b"-----END CERTIFICATE-----") + len(b"-----END CERTIFICATE-----\n")
    ]
    await store.create(
        secret_tls(
            cert.spec.secret_name,
            NAMESPACE,
            cert_pem=leaf_pem,
            key_pem=key_pem,
            ca_pem=ca.cert_pem,
            annotations=issued_annotations(cert),
        )
    )
    stored = await store.create(cert)
    stored.status = CertificateStatus(revision=1)
    await store.update_status(stored)


def store_resource_version(store_path: Path) -> int:
    connection = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        row = connection.execute("SELECT value FROM meta WHERE key = 'resource_version'").fetchone()
    finally:
        connection.close()
    return int(row[0])


def issued_by_daemon(store_path: Path) -> int:
    """Certificates whose revision moved past the seeded 1: the daemon issued them again."""
    connection = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        row = connection.execute(
            "SELECT COUNT(*) FROM objects WHERE api_version = 'cert-manager.io/v1' AND kind = 'Certificate' "
            "AND namespace = ? AND COALESCE(json_extract(body, '$.status.revision'), 0) > 1",
            (NAMESPACE,),
        ).fetchone()
    finally:
        connection.close()
    return int(row[0])


async def wait_quiet(daemon: Daemon, store_path: Path, limit: float) -> None:
    """Until neither the store nor any controller's reconcile count has moved for QUIET_S seconds."""
    deadline = time.monotonic() + limit

    def progress() -> tuple[int, float]:
        return store_resource_version(store_path), sum(daemon.sync_calls().values())

    last, since = progress(), time.monotonic()
    while time.monotonic() - since < QUIET_S:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the daemon kept working for {limit} s")
        daemon.check_alive()
        await asyncio.sleep(0.25)
        current = progress()
        if current != last:
            last, since = current, time.monotonic()


async def first_run(workdir: Path, store_path: Path, names: list[str], limit: float) -> dict[str, float]:
    daemon = Daemon(store_path, workdir / "daemon-first.log", workdir / "out")
    with running_daemon(daemon):
        started = time.perf_counter()
        daemon.wait_ready(limit)
        watcher = ReadyWatcher(store_path, interval=0.2)
        await watcher.wait_for(names, limit, daemon.check_alive)
        all_ready = time.perf_counter() - started
        watcher.close()
        await wait_quiet(daemon, store_path, limit)
        return {
            "first_run_all_ready_s": round(all_ready, 3),
            "first_run_settled_s": round(time.perf_counter() - started, 3),
        }


async def wait_checked(daemon: Daemon, n: int, limit: float) -> dict[str, float]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        daemon.check_alive()
        try:
            calls = daemon.sync_calls()
        except OSError:
            calls = {}
        if calls and all(calls.get(name, 0) >= n for name in CERTIFICATE_CONTROLLERS):
            return calls
        await asyncio.sleep(0.05)
    raise TimeoutError(f"not every Certificate was checked within {limit} s")


async def restart(
    workdir: Path, store_path: Path, n: int, idle_seconds: float, limit: float, profile: bool
) -> dict[str, Any]:
    daemon = Daemon(store_path, workdir / "daemon-restart.log", workdir / "out")
    version_before = store_resource_version(store_path)
    with running_daemon(daemon, workdir / "profile-restart.txt" if profile else None):
        ready_s = daemon.wait_ready(limit)
        calls = await wait_checked(daemon, n, limit)
        checked_s = time.perf_counter() - daemon.started_at
        checked_cpu_s = daemon.usage().cpu_seconds
        writes = store_resource_version(store_path) - version_before
        # The rest of the restart's work (the files mirror re-reading every Secret's files) is
        # not idle time: the idle window starts once nothing has moved for QUIET_S seconds.
        await wait_quiet(daemon, store_path, limit)
        settled_s = time.perf_counter() - daemon.started_at
        before = daemon.usage()
        await asyncio.sleep(idle_seconds)
        after = daemon.usage()
    return {
        "restart_to_ready_s": round(ready_s, 3),
        "restart_to_checked_s": round(checked_s, 3),
        "restart_cpu_s": round(checked_cpu_s, 2),
        "writes_on_restart": writes,
        "restart_to_settled_s": round(settled_s, 3),
        "sync_calls_when_checked": {k: v for k, v in sorted(calls.items()) if v},
        "rss_mb": round(after.rss_bytes / 2**20, 1),
        "peak_rss_mb": round(after.peak_rss_bytes / 2**20, 1),
        "idle_seconds": idle_seconds,
        "idle_cpu_percent": round(100 * (after.cpu_seconds - before.cpu_seconds) / idle_seconds, 3),
    }


async def run(
    n: int, key_type: str, idle_seconds: float, workdir: Path, reuse: bool, profile: bool
) -> dict[str, Any]:
    store_path = workdir / "store.db"
    limit = max(120.0, n * 0.05)
    first: dict[str, float] = {}
    if not reuse:
        store = SQLiteStore(store_path)
        try:
            first["seed_s"] = round(await seed(store, n, key_type), 3)
        finally:
            await store.close()
        names = [bench_certificate(i, key_type).name for i in range(n)]
        first.update(await first_run(workdir, store_path, names, limit))
    measured = await restart(workdir, store_path, n, idle_seconds, limit, profile)
    return {
        "n": n,
        "key": key_type,
        **first,
        "issued_by_daemon": issued_by_daemon(store_path),
        "store_mb": round(store_path.stat().st_size / 2**20, 1),
        **measured,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000, help="Certificates (default 10000)")
    parser.add_argument("--idle-seconds", type=float, default=60.0, help="idle CPU window (default 60)")
    parser.add_argument("--key", choices=("ecdsa", "rsa"), default="ecdsa")
    parser.add_argument("--keep", type=Path, help="keep the store and logs in this directory")
    parser.add_argument(
        "--reuse", action="store_true", help="measure only the restart, on the seeded store kept in --keep"
    )
    parser.add_argument("--profile", action="store_true", help="py-spy the restarted daemon (needs --keep)")
    args = parser.parse_args()
    if (args.reuse or args.profile) and args.keep is None:
        parser.error("--reuse and --profile need --keep DIR")
    facts = machine_facts()
    with tempfile.TemporaryDirectory(prefix="certpilot-bench-") as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        result = asyncio.run(run(args.n, args.key, args.idle_seconds, workdir, args.reuse, args.profile))
    emit(
        {
            "benchmark": "scale",
            "daemon": "certpilot run (child process), --output-dir",
            **result,
            "machine": facts,
        },
        f"scale n={args.n}: RSS {result['rss_mb']} MB, idle CPU {result['idle_cpu_percent']} % of a core, "
        f"restart to all checked {result['restart_to_checked_s']} s, {result['restart_cpu_s']} s CPU "
        f"(ready {result['restart_to_ready_s']} s, {result['writes_on_restart']} writes)",
    )


if __name__ == "__main__":
    main()
