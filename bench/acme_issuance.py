"""ACME issuance (HTTP-01) against pebble: certpilot against lego, side by side in one run.

pebble runs with PEBBLE_VA_NOSLEEP=1, PEBBLE_WFE_NONCEREJECT=0 and no authorization reuse, with
pebble-challtestsrv as its DNS (every name is 127.0.0.1). Then:
1. certpilot: the daemon (`certpilot run --http01-listen`, a child process) with an ACME Issuer
   on pebble; first one Certificate alone on the idle daemon (single-certificate latency, apply →
   Ready), then N Certificates created at once (throughput: N / time until all Ready);
2. lego: with the daemon stopped (they share pebble's HTTP-01 port), --lego-n certificates for
   other names one after another as a cron job would, a new `lego` process per certificate, one
   account reused (`--path` kept), ec256 keys, its own HTTP-01 solver.

usage: python bench/acme_issuance.py [--n 100] [--lego-n N (default: --n)] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from common import (
    NAMESPACE,
    Daemon,
    ReadyWatcher,
    create_all,
    emit,
    machine_facts,
    median,
    run_figures,
    running_daemon,
    wait_issuer_ready,
)

from certpilot.api.certificate import Certificate, CertificatePrivateKey
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.api.issuer import Issuer
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.builders import certificate
from certpilot.testing.peers.pebble import ChallTestSrv, PebbleServer
from certpilot.testing.peers.ports import free_port

ISSUER = "pebble"
SETUP_LIMIT_S = 60.0
LEGO_LIMIT_S = 120.0


def acme_issuer(pebble: PebbleServer) -> Issuer:
    return Issuer.model_validate(
        {
            "metadata": {"name": ISSUER, "namespace": NAMESPACE},
            "spec": {
                "acme": {
                    "server": pebble.directory_url,
                    "email": "bench@example.test",
                    "privateKeySecretRef": {"name": "pebble-account"},
                    "caBundle": base64.b64encode(pebble.ca_bundle_path.read_bytes()).decode(),
                    "solvers": [{"http01": {"ingress": {}}}],
                }
            },
        }
    )


def acme_certificate(name: str) -> Certificate:
    return certificate(
        name,
        NAMESPACE,
        issuer=ISSUER,
        dns_names=[f"{name}.bench.example"],
        private_key=CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256),
    )


async def certpilot_run(
    n: int, pebble: PebbleServer, http01_port: int, workdir: Path, profile: bool
) -> dict[str, Any]:
    store_path = workdir / "store.db"
    listen = ["--http01-listen", f"127.0.0.1:{http01_port}"]
    daemon = Daemon(store_path, workdir / "daemon.log", workdir / "out", listen)
    store = SQLiteStore(store_path)
    try:
        with running_daemon(daemon, workdir / "profile.txt" if profile else None):
            daemon.wait_ready()
            watcher = ReadyWatcher(store_path)
            await store.create(acme_issuer(pebble))
            await wait_issuer_ready(store, ISSUER, SETUP_LIMIT_S, daemon.check_alive)

            single = acme_certificate("single")
            applied = await create_all(store, [single])
            await watcher.wait_for([single.name], SETUP_LIMIT_S, daemon.check_alive)
            single_s = watcher.ready_at[single.name] - applied[single.name]

            certificates = [acme_certificate(f"a{i:05d}") for i in range(n)]
            names = [c.name for c in certificates]
            usage_before = daemon.usage()
            started = time.perf_counter()
            applied = await create_all(store, certificates)
            await watcher.wait_for(names, max(SETUP_LIMIT_S, n * 2.0), daemon.check_alive)
            elapsed = time.perf_counter() - started
            usage = daemon.usage()
            watcher.close()
            latencies = [watcher.ready_at[name] - applied[name] for name in names]
    finally:
        await store.close()
    return {
        **run_figures(n, elapsed, latencies, usage, usage_before),
        "single_certificate_s": round(single_s, 3),
    }


def lego_run(n: int, pebble: PebbleServer, http01_port: int, workdir: Path) -> dict[str, Any]:
    lego_path = workdir / "lego"
    env = {**os.environ, "LEGO_CA_CERTIFICATES": str(pebble.ca_bundle_path)}
    base = [
        "lego",
        "--server", pebble.directory_url,
        "--email", "bench@example.test",
        "--accept-tos",
        "--path", str(lego_path),
        "--key-type", "ec256",
        "--http",
        "--http.port", f"127.0.0.1:{http01_port}",
    ]  # fmt: skip
    durations: list[float] = []
    with (workdir / "lego.log").open("ab") as log:
        started = time.perf_counter()
        for i in range(n):
            one = time.perf_counter()
            subprocess.run(
                [*base, "--domains", f"lego{i:05d}.bench.example", "run"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                check=True,
                timeout=LEGO_LIMIT_S,
            )
            durations.append(time.perf_counter() - one)
        elapsed = time.perf_counter() - started
    issued = len(list((lego_path / "certificates").glob("lego*.bench.example.crt")))
    assert issued == n, f"lego issued {issued} of {n} certificates; see {workdir / 'lego.log'}"
    return {
        "n": n,
        "seconds": round(elapsed, 3),
        "certificates_per_s": round(n / elapsed, 3),
        "per_certificate_p50_s": round(median(durations), 3),
    }


async def run(n: int, lego_n: int, workdir: Path, profile: bool) -> dict[str, Any]:
    http01_port = free_port()
    with ChallTestSrv(workdir / "challtestsrv") as challtestsrv:
        pebble_server = PebbleServer(
            workdir / "pebble", dns_server=challtestsrv.dns_address, http_port=http01_port
        )
        with pebble_server as pebble:
            ours = await certpilot_run(n, pebble, http01_port, workdir, profile)
            lego = await asyncio.to_thread(lego_run, lego_n, pebble, http01_port, workdir)
    return {
        "certpilot": ours,
        "lego": lego,
        "ratio_certpilot_to_lego": round(ours["certificates_per_s"] / lego["certificates_per_s"], 1),
        "pebble_env": {k: v for k, v in pebble.env.items() if k.startswith("PEBBLE_")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100, help="certpilot Certificates (default 100)")
    parser.add_argument("--lego-n", type=int, help="lego certificates (default: --n)")
    parser.add_argument("--keep", type=Path, help="keep stores, peers' files and logs in this directory")
    parser.add_argument("--profile", action="store_true", help="py-spy the daemon into <keep>/profile.txt")
    args = parser.parse_args()
    if args.profile and args.keep is None:
        parser.error("--profile needs --keep DIR")
    for tool in ("pebble", "pebble-challtestsrv", "lego"):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed: apt-get install pebble lego")
    facts = machine_facts()
    with tempfile.TemporaryDirectory(prefix="certpilot-bench-") as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        result = asyncio.run(run(args.n, args.lego_n or args.n, workdir, args.profile))
    ours, lego = result["certpilot"], result["lego"]
    emit(
        {"benchmark": "acme_issuance", "daemon": "certpilot run (child process)", **result, "machine": facts},
        f"acme_issuance: certpilot {ours['certificates_per_s']}/s ({ours['n']} certs), "
        f"lego {lego['certificates_per_s']}/s ({lego['n']} certs), "
        f"ratio {result['ratio_certpilot_to_lego']}x; "
        f"single certificate {ours['single_certificate_s']} s",
    )


if __name__ == "__main__":
    main()
