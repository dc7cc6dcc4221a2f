"""CA issuance through the whole standalone pipeline, against the crypto floor, in one run.

The daemon runs as users run it: `certpilot run` as a child process on a store file, with
--output-dir. A SelfSigned issuer makes a root CA Certificate and a CA issuer signs with it; then N
Certificates are created at once through the Store (as one `certpilot apply` of N documents does).
Measured: from the first create until every Certificate is Ready, its Secret stored and its files
mirrored — certificates/s, p50/p99 apply→Ready, the daemon's peak RSS. Then, with the daemon
stopped, the crypto floor: the same key generation + CSR + signing with `cryptography` alone on a
process pool of os.cpu_count() workers, with the pipeline's own CA key.

usage: python bench/ca_issuance.py [--n 1000] [--key ecdsa|rsa|both] [--workers W] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
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
    count_secrets_with_certificates,
    create_all,
    create_ca_issuer,
    emit,
    machine_facts,
    run_figures,
    running_daemon,
    wait_issuer_ready,
    wait_mirrored,
)
from crypto_floor import CaMaterial, crypto_floor

from certpilot.api.core import Secret
from certpilot.store.sqlite import SQLiteStore

SETUP_LIMIT_S = 60.0


async def read_ca(store: SQLiteStore) -> CaMaterial:
    secret = await store.get(Secret, CA_SECRET, NAMESPACE)
    cert, key = secret.get_data("tls.crt"), secret.get_data("tls.key")
    assert cert is not None and key is not None, "the CA Secret has no key pair"
    return CaMaterial(cert, key)


async def pipeline(
    n: int, key_type: str, workdir: Path, daemon_args: list[str], profile: bool
) -> tuple[dict[str, Any], CaMaterial]:
    store_path = workdir / "store.db"
    output_dir = workdir / "out"
    daemon = Daemon(store_path, workdir / "daemon.log", output_dir, daemon_args)
    store = SQLiteStore(store_path)
    try:
        with running_daemon(daemon, workdir / "profile.txt" if profile else None):
            startup_s = daemon.wait_ready()
            watcher = ReadyWatcher(store_path)
            await create_ca_issuer(store)
            await watcher.wait_for(["bench-root"], SETUP_LIMIT_S, daemon.check_alive)
            await wait_issuer_ready(store, "ca", SETUP_LIMIT_S, daemon.check_alive)
            certificates = [bench_certificate(i, key_type) for i in range(n)]
            names = [c.name for c in certificates]
            secret_names = [c.spec.secret_name for c in certificates]
            limit = max(120.0, n * (0.5 if key_type == "rsa" else 0.1))
            usage_before = daemon.usage()

            started = time.perf_counter()
            applied = await create_all(store, certificates)
            await watcher.wait_for(names, limit, daemon.check_alive)
            ready_s = time.perf_counter() - started
            await wait_mirrored(output_dir, secret_names, limit)
            elapsed = time.perf_counter() - started

            usage = daemon.usage()
            sync_calls = daemon.sync_calls()
            watcher.close()
            latencies = [watcher.ready_at[name] - applied[name] for name in names]
            stored = count_secrets_with_certificates(store_path, secret_names)
            assert stored == n, f"only {stored} of {n} Secrets hold a certificate"
            ca = await read_ca(store)
    finally:
        await store.close()
    return {
        **run_figures(n, elapsed, latencies, usage, usage_before),
        "seconds_to_all_ready": round(ready_s, 3),
        "daemon_startup_s": round(startup_s, 3),
        "secrets_stored": stored,
        "files_mirrored": n,
        "reconciles_per_certificate": round(sum(sync_calls.values()) / n, 1),
        "sync_calls": {name: int(count) for name, count in sorted(sync_calls.items()) if count},
    }, ca


async def run_key_type(
    n: int, key_type: str, workdir: Path, daemon_args: list[str], profile: bool
) -> dict[str, Any]:
    result, ca = await pipeline(n, key_type, workdir, daemon_args, profile)
    floor = crypto_floor(n, key_type, ca)
    result["floor"] = floor
    result["ratio_to_floor"] = round(result["certificates_per_s"] / floor["certificates_per_s"], 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="Certificates per key type (default 1000)")
    parser.add_argument("--key", choices=("ecdsa", "rsa", "both"), default="both")
    parser.add_argument("--workers", type=int, help="certpilot run --workers (default: its own default)")
    parser.add_argument("--keep", type=Path, help="keep the stores and logs in this directory")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the daemon into <keep>/<key>/profile.txt"
    )
    args = parser.parse_args()
    key_types = ["ecdsa", "rsa"] if args.key == "both" else [args.key]
    daemon_args = ["--workers", str(args.workers)] if args.workers else []
    facts = machine_facts()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="certpilot-bench-") as scratch:
        base = args.keep or Path(scratch)
        for key_type in key_types:
            (base / key_type).mkdir(parents=True, exist_ok=True)
            results[key_type] = asyncio.run(
                run_key_type(args.n, key_type, base / key_type, daemon_args, args.profile)
            )
    summary = "; ".join(
        f"{k}: {r['certificates_per_s']}/s (floor {r['floor']['certificates_per_s']}/s, "
        f"ratio {r['ratio_to_floor']}), p50 {r['apply_to_ready_p50_s']} s, "
        f"p99 {r['apply_to_ready_p99_s']} s, "
        f"peak RSS {r['daemon_peak_rss_mb']} MB"
        for k, r in results.items()
    )
    emit(
        {
            "benchmark": "ca_issuance",
            "daemon": "certpilot run (child process), --output-dir",
            "cpu_count": os.cpu_count(),
            "results": results,
            "machine": facts,
        },
        f"ca_issuance n={args.n}: {summary}",
    )


if __name__ == "__main__":
    main()
