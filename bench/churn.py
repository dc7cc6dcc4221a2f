"""Churn: N Certificates issued, then all deleted (each with its Secret, as `certpilot delete`
would) — does the daemon give its memory back, and are the mirrored files of the deleted Secrets
removed? And how fast do /metrics and /healthz answer while Certificates issue?

`certpilot run --output-dir` as a child process with a CA issuer. Figures:
- idle_rss_mb: the daemon's RSS once the CA issuer is Ready and nothing moves (--settle-seconds);
- peak_rss_mb while issuing, rss_after_delete_mb once every object is gone and nothing moves,
  and rss_after_delete_vs_idle (the target: within 10 % of idle);
- memory_restarts: how many times the daemon restarted itself in place to return memory
  (runtime/memory/restart_to_shrink.py; `--memory-restart-factor 0` measures without it);
- folders_left: mirrored Secret folders still on disk after the deletions (expected 0);
- metrics_p99_ms / healthz_p99_ms: a client asking GET /metrics and GET /healthz in turn,
  one request every --probe-interval seconds, while the first --probe-n Certificates issue.

usage: python bench/churn.py [--n 10000] [--probe-n 1000] [--memory-restart-factor F] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from common import (
    NAMESPACE,
    Daemon,
    ReadyWatcher,
    bench_certificate,
    create_all,
    create_ca_issuer,
    emit,
    machine_facts,
    percentile,
    running_daemon,
    wait_issuer_ready,
)

from certpilot.api.certificate import Certificate
from certpilot.api.core import Secret
from certpilot.store.sqlite import SQLiteStore

SETUP_LIMIT_S = 120.0
DELETE_BATCH = 500
RESTARTED = "restarting to return memory"


class Prober:
    """GET /metrics and /healthz in turn from a thread, recording each answer's latency."""

    def __init__(self, port: int, interval: float) -> None:
        self._port = port
        self._interval = interval
        self._stop = threading.Event()
        self.latencies: dict[str, list[float]] = {"/metrics": [], "/healthz": []}
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            for path, found in self.latencies.items():
                started = time.perf_counter()
                with urllib.request.urlopen(f"http://127.0.0.1:{self._port}{path}", timeout=30) as answer:
                    answer.read()
                found.append(time.perf_counter() - started)
                self._stop.wait(self._interval)


async def settle_rss(daemon: Daemon, seconds: float) -> float:
    """The daemon's RSS (MB) after `seconds` of letting it be."""
    await asyncio.sleep(seconds)
    daemon.check_alive()
    return round(daemon.usage().rss_bytes / 2**20, 1)


async def delete_all(store: SQLiteStore, certificates: list[Certificate]) -> None:
    for start in range(0, len(certificates), DELETE_BATCH):
        batch = certificates[start : start + DELETE_BATCH]
        await asyncio.gather(*(store.delete(Certificate, c.name, NAMESPACE) for c in batch))
        await asyncio.gather(*(store.delete(Secret, c.spec.secret_name, NAMESPACE) for c in batch))


async def folders_left(output_dir: Path, certificates: list[Certificate], limit: float) -> int:
    """Mirrored folders of the deleted Secrets still on disk once they stop going (or at limit)."""
    deadline = time.monotonic() + limit
    while True:
        left = sum(1 for c in certificates if (output_dir / NAMESPACE / c.spec.secret_name).exists())
        if not left or time.monotonic() > deadline:
            return left
        await asyncio.sleep(0.5)


async def run(
    n: int, probe_n: int, probe_interval: float, settle: float, workdir: Path, daemon_args: list[str]
) -> dict[str, Any]:
    store_path, output_dir = workdir / "store.db", workdir / "out"
    daemon = Daemon(store_path, workdir / "daemon.log", output_dir, extra=daemon_args)
    store = SQLiteStore(store_path)
    try:
        with running_daemon(daemon):
            daemon.wait_ready()
            watcher = ReadyWatcher(store_path)
            await create_ca_issuer(store)
            await watcher.wait_for(["bench-root"], SETUP_LIMIT_S, daemon.check_alive)
            await wait_issuer_ready(store, "ca", SETUP_LIMIT_S, daemon.check_alive)
            idle = await settle_rss(daemon, settle)
            certificates = [bench_certificate(i, "ecdsa") for i in range(n)]
            probed, rest = certificates[:probe_n], certificates[probe_n:]
            started = time.perf_counter()
            with Prober(daemon.metrics_port, probe_interval) as prober:
                await create_all(store, probed)
                await watcher.wait_for(
                    [c.name for c in probed], max(120.0, probe_n * 0.2), daemon.check_alive
                )
            await create_all(store, rest)
            await watcher.wait_for([c.name for c in certificates], max(120.0, n * 0.2), daemon.check_alive)
            issued_s = time.perf_counter() - started
            peak = round(daemon.usage().peak_rss_bytes / 2**20, 1)
            watcher.close()
            await delete_all(store, certificates)
            left = await folders_left(output_dir, certificates, max(120.0, n * 0.05))
            after = await settle_rss(daemon, settle)
    finally:
        await store.close()
    metrics, healthz = prober.latencies["/metrics"], prober.latencies["/healthz"]
    return {
        "n": n,
        "issue_s": round(issued_s, 1),
        "idle_rss_mb": idle,
        "peak_rss_mb": peak,
        "rss_after_delete_mb": after,
        "rss_after_delete_vs_idle": round(after / idle, 3),
        "memory_restarts": daemon.log_path.read_text(errors="replace").count(RESTARTED),
        "folders_left": left,
        "probe_n": probe_n,
        "metrics_requests": len(metrics),
        "metrics_p50_ms": round(percentile(metrics, 0.5) * 1000, 1),
        "metrics_p99_ms": round(percentile(metrics, 0.99) * 1000, 1),
        "healthz_requests": len(healthz),
        "healthz_p50_ms": round(percentile(healthz, 0.5) * 1000, 1),
        "healthz_p99_ms": round(percentile(healthz, 0.99) * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--probe-n", type=int, default=1000, help="Certificates issued while probing")
    parser.add_argument("--probe-interval", type=float, default=0.05)
    parser.add_argument("--settle-seconds", type=float, default=10.0)
    parser.add_argument(
        "--memory-restart-factor", help="passed to `certpilot run` (0: the daemon never restarts itself)"
    )
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    facts = machine_facts()
    with tempfile.TemporaryDirectory(prefix="certpilot-churn-") as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        figures = asyncio.run(
            run(
                args.n,
                min(args.probe_n, args.n),
                args.probe_interval,
                args.settle_seconds,
                workdir,
                []
                if args.memory_restart_factor is None
                else ["--memory-restart-factor", args.memory_restart_factor],
            )
        )
    emit(
        {"benchmark": "churn", "machine": facts, "results": figures},
        f"churn n={args.n}: RSS idle {figures['idle_rss_mb']} MB, peak {figures['peak_rss_mb']} MB, after "
        f"deleting all {figures['rss_after_delete_mb']} MB ({figures['rss_after_delete_vs_idle']} x idle, "
        f"{figures['memory_restarts']} restart(s) to return memory), "
        f"{figures['folders_left']} file folders left; while {figures['probe_n']} issued: /metrics p99 "
        f"{figures['metrics_p99_ms']} ms, /healthz p99 {figures['healthz_p99_ms']} ms",
    )


if __name__ == "__main__":
    main()
