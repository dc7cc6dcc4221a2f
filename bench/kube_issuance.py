"""CA issuance on a real Kubernetes API server: throughput, latency, API writes per issuance, RSS.

The control plane (etcd, kube-apiserver, kube-controller-manager from $KUBEBUILDER_ASSETS) is started
on this machine, sharing its cores with the daemon, or `--kubeconfig` names one that runs already.
`certpilot run --kubeconfig` runs as a child process (leader election on, as deployed). A SelfSigned
issuer makes a root CA and a CA issuer signs with it; then N ECDSA P-256 Certificates are created
at once through the API. Measured, from the first create until every Certificate is Ready:
certificates/s, p50/p99 create→Ready, the daemon's peak RSS, and the API requests the daemon made
per issuance, counted by the API server itself (apiserver_request_total, less this benchmark's own).

With --unrelated-secrets M it first fills the namespace with M Secrets of 100 KB that certpilot has
no business with, then after the run restarts the daemon and measures its time to all-synced (its
caches listed and the leader's controllers started) and its RSS: the filtered Secret cache must
keep those out of memory.

Anchor: cert-manager's published run of 500 Certificates in 417 s (≈1.2/s) with client QPS 20 /
burst 50. Targets: ≥ 30 certificates/s, ≤ 10 API writes per issuance; 5,000 Certificates plus 5,000
unrelated 100 KB Secrets: RSS < 250 MB, restart to all-synced < 30 s.

usage: python bench/kube_issuance.py [--n 500] [--unrelated-secrets 0] [--kubeconfig PATH] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common import (
    NAMESPACE,
    bench_certificate,
    certpilot_command,
    create_all,
    create_ca_issuer,
    emit,
    machine_facts,
    median,
    percentile,
    process_usage,
)
from prometheus_client.parser import text_string_to_metric_families

from certpilot.api.certificate import Certificate
from certpilot.api.conditions import get_condition
from certpilot.api.core import Secret
from certpilot.api.meta import ObjectMeta
from certpilot.store.kube_connection import KubeConnection, load_connection
from certpilot.store.kube_transport import KubeTransport
from certpilot.store.kubernetes import KubernetesStore

REPO = Path(__file__).resolve().parents[1]
WRITE_VERBS = ("POST", "PUT", "PATCH", "DELETE")
UNRELATED_SECRET_BYTES = 100 * 1024
SETUP_LIMIT_S = 120.0


@contextmanager
def control_plane(kubeconfig: Path | None, workdir: Path) -> Iterator[tuple[Path, Path]]:
    """(kubeconfig, kubectl) of the cluster to measure on: the one given, or one started here."""
    if kubeconfig is not None:
        yield kubeconfig, Path(os.environ.get("KUBEBUILDER_ASSETS", "/usr/local/bin")) / "kubectl"
        return
    from certpilot.testing.peers.kube import KubeControlPlane, kube_assets

    assets = kube_assets()
    if assets is None:
        raise SystemExit("no Kubernetes binaries: set KUBEBUILDER_ASSETS (see README) or pass --kubeconfig")
    with KubeControlPlane(workdir / "control-plane", assets) as plane:
        yield plane.kubeconfig, assets / "kubectl"


def kubectl(binary: Path, kubeconfig: Path, *args: str) -> str:
    return subprocess.run(
        [str(binary), "--kubeconfig", str(kubeconfig), *args], check=True, capture_output=True, text=True
    ).stdout


async def server_write_counts(connection: KubeConnection) -> Counter[tuple[str, str]]:
    """The API server's own count of write requests so far, by (verb, resource)."""
    transport = KubeTransport(connection)
    try:
        answer = await transport.request("GET", "/metrics")
    finally:
        await transport.close()
    assert answer.status == 200, f"GET /metrics: HTTP {answer.status}"
    text = answer.body.decode()
    counts: Counter[tuple[str, str]] = Counter()
    for family in text_string_to_metric_families(text):
        if family.name != "apiserver_request":
            continue
        for sample in family.samples:
            if sample.name != "apiserver_request_total" or sample.labels.get("verb") not in WRITE_VERBS:
                continue
            resource = sample.labels.get("resource", "")
            if sample.labels.get("subresource"):
                resource += "/" + sample.labels["subresource"]
            counts[sample.labels["verb"], resource] += int(sample.value)
    return counts


class KubeDaemon:
    def __init__(self, kubeconfig: Path, log_path: Path, extra: list[str] | None = None) -> None:
        self.kubeconfig = kubeconfig
        self.log_path = log_path
        self.extra = extra or []
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.log_offset = 0

    def start(self) -> None:
        self.started_at = time.perf_counter()
        # A restart appends to the same log: only what this start writes counts.
        self.log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *certpilot_command(),
                    "run",
                    "--kubeconfig",
                    str(self.kubeconfig),
                    "--namespace",
                    NAMESPACE,
                    "--metrics-listen",
                    "",
                    "--http01-listen",
                    "",
                    *self.extra,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def check_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError(f"the daemon exited:\n{self.log_path.read_text()[-3000:]}")

    async def wait_started(self, limit: float) -> float:
        """Seconds from start until its caches are listed and its controllers run."""
        deadline = time.perf_counter() + limit
        while "msg=started" not in self.log_path.read_text(errors="replace")[self.log_offset :]:
            self.check_alive()
            if time.perf_counter() > deadline:
                raise RuntimeError(f"the daemon did not start within {limit}s")
            await asyncio.sleep(0.05)
        return time.perf_counter() - self.started_at

    def kill(self) -> None:
        """SIGKILL: no chance to clean up (bench/chaos_kube.py)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(60)
        self.process = None


def is_ready(cert: Certificate) -> bool:
    ready = get_condition(cert.status.conditions if cert.status else None, "Ready")
    issuing = get_condition(cert.status.conditions if cert.status else None, "Issuing")
    return (
        ready is not None
        and ready.status == "True"
        and (issuing is None or issuing.status != "True")
        and bool(cert.status and cert.status.revision)
    )


async def watch_ready(store: KubernetesStore, names: set[str], ready_at: dict[str, float]) -> None:
    """Record when each named Certificate is first seen Ready, from one watch."""
    async for event in store.watch(Certificate):
        cert = event.object
        if cert.name in names and cert.name not in ready_at and is_ready(cert):
            ready_at[cert.name] = time.perf_counter()
            if len(ready_at) == len(names):
                return


async def create_unrelated_secrets(store: KubernetesStore, count: int) -> None:
    payload = base64.b64encode(secrets.token_bytes(UNRELATED_SECRET_BYTES * 3 // 4)).decode()
    semaphore = asyncio.Semaphore(20)

    async def create(index: int) -> None:
        async with semaphore:
            secret = Secret(metadata=ObjectMeta(name=f"unrelated-{index:05d}", namespace=NAMESPACE))
            secret.data = {"blob": payload}
            await store.create(secret)

    await asyncio.gather(*(create(i) for i in range(count)))


async def measure(
    n: int, unrelated: int, kubeconfig: Path, kubectl_binary: Path, workdir: Path
) -> dict[str, Any]:
    kubectl(kubectl_binary, kubeconfig, "apply", "--server-side", "-k", str(REPO / "deploy" / "crds"))
    kubectl(kubectl_binary, kubeconfig, "wait", "--for=condition=Established", "crd", "--all")
    kubectl(kubectl_binary, kubeconfig, "create", "namespace", NAMESPACE)
    connection = load_connection(kubeconfig)
    store = KubernetesStore(connection)
    daemon = KubeDaemon(kubeconfig, workdir / "daemon.log")
    try:
        if unrelated:
            started = time.perf_counter()
            await create_unrelated_secrets(store, unrelated)
            print(
                f"created {unrelated} unrelated Secrets in {time.perf_counter() - started:.1f}s",
                file=sys.stderr,
                flush=True,
            )
        daemon.start()
        startup_s = await daemon.wait_started(SETUP_LIMIT_S)
        await create_ca_issuer(store)  # type: ignore[arg-type]
        await asyncio.wait_for(watch_ready(store, {"bench-root"}, {}), SETUP_LIMIT_S)

        certificates = [bench_certificate(i, "ecdsa") for i in range(n)]
        names = {c.name for c in certificates}
        ready_at: dict[str, float] = {}
        writes_before = await server_write_counts(connection)
        cpu_before = process_usage(daemon.pid).cpu_seconds
        watching = asyncio.create_task(watch_ready(store, names, ready_at))
        await asyncio.sleep(0.5)  # the watch is open before the first create
        started = time.perf_counter()
        applied = await create_all(store, certificates)  # type: ignore[arg-type]
        while not watching.done():
            daemon.check_alive()
            await asyncio.wait({watching}, timeout=1)
            if time.perf_counter() - started > max(SETUP_LIMIT_S, n * 0.5):
                raise RuntimeError(f"only {len(ready_at)} of {n} Ready")
        elapsed = time.perf_counter() - started
        usage = process_usage(daemon.pid)
        await asyncio.sleep(2)  # writes after Ready (events, readiness) are part of each issuance
        writes = await server_write_counts(connection) - writes_before
        writes["POST", "certificates"] -= n  # this benchmark's own creates
        daemon_writes = +writes
        latencies = [ready_at[name] - applied[name] for name in names]
        result: dict[str, Any] = {
            "n": n,
            "seconds": round(elapsed, 3),
            "certificates_per_s": round(n / elapsed, 2),
            "create_to_ready_p50_s": round(median(latencies), 3),
            "create_to_ready_p99_s": round(percentile(latencies, 0.99), 3),
            "daemon_startup_s": round(startup_s, 2),
            "daemon_peak_rss_mb": round(usage.peak_rss_bytes / 2**20, 1),
            "daemon_cpu_s": round(usage.cpu_seconds - cpu_before, 2),
            "api_writes_per_issuance": round(sum(daemon_writes.values()) / n, 2),
            "api_writes_per_issuance_without_events": round(
                sum(v for (_, resource), v in daemon_writes.items() if resource != "events") / n, 2
            ),
            "api_writes": {
                f"{verb} {resource}": count for (verb, resource), count in sorted(daemon_writes.items())
            },
            "client_requests_of_this_benchmark": sum(store.requests.values()),
        }
        if unrelated:
            daemon.stop()
            daemon.start()
            result["unrelated_secrets"] = unrelated
            result["restart_to_all_synced_s"] = round(await daemon.wait_started(SETUP_LIMIT_S), 2)
            await asyncio.sleep(5)
            result["rss_after_restart_mb"] = round(process_usage(daemon.pid).rss_bytes / 2**20, 1)
        return result
    finally:
        daemon.stop()
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=500, help="Certificates (default 500)")
    parser.add_argument(
        "--unrelated-secrets", type=int, default=0, help="100 KB Secrets to fill the cluster with"
    )
    parser.add_argument("--kubeconfig", type=Path, help="measure on this cluster instead of starting one")
    parser.add_argument("--keep", type=Path, help="keep logs and the control plane's files here")
    args = parser.parse_args()
    facts = machine_facts()
    with tempfile.TemporaryDirectory(prefix="certpilot-kube-bench-") as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        with control_plane(args.kubeconfig, workdir) as (kubeconfig, kubectl_binary):
            result = asyncio.run(measure(args.n, args.unrelated_secrets, kubeconfig, kubectl_binary, workdir))
    summary = (
        f"kube_issuance n={args.n}: {result['certificates_per_s']}/s (anchor: cert-manager 1.2/s), "
        f"p50 {result['create_to_ready_p50_s']} s, p99 {result['create_to_ready_p99_s']} s, "
        f"{result['api_writes_per_issuance']} API writes per issuance "
        f"({result['api_writes_per_issuance_without_events']} without Events), "
        f"peak RSS {result['daemon_peak_rss_mb']} MB"
    )
    if args.unrelated_secrets:
        summary += (
            f"; with {args.unrelated_secrets} unrelated Secrets: restart to all-synced "
            f"{result['restart_to_all_synced_s']} s, RSS {result['rss_after_restart_mb']} MB"
        )
    emit(
        {
            "benchmark": "kube_issuance",
            "daemon": "certpilot run --kubeconfig (child process), leader election on",
            "cpu_count": os.cpu_count(),
            "result": result,
            "machine": facts,
        },
        summary,
    )


if __name__ == "__main__":
    main()
