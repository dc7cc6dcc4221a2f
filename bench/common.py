"""What every benchmark shares: machine facts, the daemon as a child process (`certpilot run`) with
its RSS and CPU read from /proc, its /metrics, a CA issuer, and watching Certificates turn Ready.

The Ready watcher reads the store file directly (read-only SQL over the same SQLite file) instead
of going through the Store API: on a 2-core machine an observer that parsed every object into
pydantic models would steal the CPU the daemon is being measured on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from cryptography.hazmat.backends.openssl.backend import backend as openssl_backend
from prometheus_client.parser import text_string_to_metric_families

from certpilot.api.certificate import Certificate, CertificatePrivateKey
from certpilot.api.conditions import get_condition
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.api.issuer import Issuer
from certpilot.store.errors import NotFound
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.builders import certificate, issuer_ca, issuer_selfsigned
from certpilot.testing.peers.ports import free_port

NAMESPACE = "bench"
CA_SECRET = "bench-ca-tls"
KEY_TYPES = {"ecdsa": (PrivateKeyAlgorithm.ECDSA, 256), "rsa": (PrivateKeyAlgorithm.RSA, 2048)}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def machine_facts() -> dict[str, Any]:
    load1, _, _ = os.getloadavg()
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "openssl": openssl_backend.openssl_version_text(),
        "certpilot": version("certpilot"),
        "platform": platform.platform(),
        "load_average_at_start": round(load1, 2),
    }


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction in 0..1); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def run_figures(
    n: int, elapsed: float, latencies: Sequence[float], usage: ProcessUsage, before: ProcessUsage
) -> dict[str, Any]:
    """The figures every pipeline benchmark reports for one run of n certificates. The daemon's
    system CPU is also given alone: most of it is the kernel creating the files mirror's inodes,
    which costs several times more in a directory whose filesystem group holds many recently
    deleted inodes (a previous run's tree deleted just before): compare two trees by user CPU, or
    give each run a fresh --keep directory and delete nothing while measuring."""
    return {
        "n": n,
        "seconds": round(elapsed, 3),
        "certificates_per_s": round(n / elapsed, 2),
        "apply_to_ready_p50_s": round(median(latencies), 3),
        "apply_to_ready_p99_s": round(percentile(latencies, 0.99), 3),
        "daemon_peak_rss_mb": round(usage.peak_rss_bytes / 2**20, 1),
        "daemon_cpu_s": round(usage.cpu_seconds - before.cpu_seconds, 2),
        "daemon_system_cpu_s": round(usage.system_seconds - before.system_seconds, 2),
    }


def emit(result: dict[str, Any], summary: str) -> None:
    """The benchmark's output: one JSON object on one line, then a one-line summary."""
    print(json.dumps(result, sort_keys=True))
    print(summary)
    sys.stdout.flush()


# --- the daemon ------------------------------------------------------------------------------


def _beside_python(tool: str) -> str:
    """A tool installed in the same environment as this interpreter, else from PATH."""
    script = Path(sys.executable).parent / tool
    return str(script) if script.exists() else tool


def certpilot_command() -> list[str]:
    """`certpilot` from the same environment as this interpreter."""
    script = Path(sys.executable).parent / "certpilot"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "certpilot.cli"]


@dataclass
class ProcessUsage:
    rss_bytes: int
    peak_rss_bytes: int
    cpu_seconds: float
    system_seconds: float


def process_usage(pid: int) -> ProcessUsage:
    """RSS now, peak RSS (VmHWM), user+system and system CPU seconds of a running process, from /proc."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) * 1024
    stat = Path(f"/proc/{pid}/stat").read_text()
    # Fields after the command name (which may hold spaces) start at state; utime, stime are 14, 15.
    after_name = stat.rsplit(")", 1)[1].split()
    user, system = int(after_name[11]) / CLOCK_TICKS, int(after_name[12]) / CLOCK_TICKS
    return ProcessUsage(fields.get("VmRSS", 0), fields.get("VmHWM", 0), user + system, system)


@dataclass
class Daemon:
    """`certpilot run` on a store, as a child process, with /metrics on a free loopback port."""

    store_path: Path
    log_path: Path
    output_dir: Path | None = None
    extra: list[str] = field(default_factory=list)
    metrics_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    def start(self) -> Daemon:
        command = [
            *certpilot_command(),
            "run",
            "--store",
            str(self.store_path),
            "--metrics-listen",
            f"127.0.0.1:{self.metrics_port}",
            *(["--output-dir", str(self.output_dir)] if self.output_dir else []),
            *self.extra,
        ]
        with self.log_path.open("ab") as log:
            self.started_at = time.perf_counter()
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None, "the daemon is not running"
        return self.process.pid

    def usage(self) -> ProcessUsage:
        return process_usage(self.pid)

    def _get(self, path: str) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}{path}", timeout=5) as answer:
            body: bytes = answer.read()
            return body.decode()

    def wait_ready(self, limit: float = 60.0) -> float:
        """Seconds from start until /readyz answers (informers synced, controllers running)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            self.check_alive()
            with contextlib.suppress(OSError):
                self._get("/readyz")
                return time.perf_counter() - self.started_at
            time.sleep(0.02)
        raise TimeoutError(f"the daemon was not ready within {limit} s; see {self.log_path}")

    def sync_calls(self) -> dict[str, float]:
        """certmanager_controller_sync_call_count by controller."""
        calls: dict[str, float] = {}
        page = self._get("/metrics?name[]=certmanager_controller_sync_call_count")
        for family in text_string_to_metric_families(page):
            if family.name == "certmanager_controller_sync_call_count":
                for sample in family.samples:
                    calls[sample.labels["controller"]] = sample.value
        return calls

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the daemon exited with {self.process.returncode}:\n{tail}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def running_daemon(daemon: Daemon, profile: Path | None = None) -> Iterator[Daemon]:
    """The daemon, running; with `profile`, py-spy samples it into that file (collapsed stacks)."""
    daemon.start()
    sampler = None
    try:
        if profile is not None:
            sampler = subprocess.Popen(
                [
                    _beside_python("py-spy"),
                    "record",
                    "--pid",
                    str(daemon.pid),
                    "--format",
                    "raw",
                    "--rate",
                    "200",
                    "--threads",
                    *(["--gil"] if os.environ.get("BENCH_PYSPY_GIL") else []),
                    "--output",
                    str(profile),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        yield daemon
    finally:
        if sampler is not None:
            sampler.send_signal(signal.SIGINT)
            sampler.wait(30)
        daemon.stop()


# --- objects ---------------------------------------------------------------------------------


def bench_certificate(index: int, key_type: str, prefix: str = "c") -> Certificate:
    algorithm, size = KEY_TYPES[key_type]
    name = f"{prefix}{index:05d}"
    return certificate(
        name,
        NAMESPACE,
        issuer="ca",
        dns_names=[f"{name}.bench.example"],
        private_key=CertificatePrivateKey(algorithm=algorithm, size=size),
    )


async def create_ca_issuer(store: SQLiteStore) -> None:
    """SelfSigned issuer → root CA Certificate (ECDSA P-256) → CA issuer `ca`, the standalone way."""
    await store.create(issuer_selfsigned(namespace=NAMESPACE))
    root = certificate(
        "bench-root",
        NAMESPACE,
        issuer="selfsigned",
        is_ca=True,
        common_name="certpilot bench root",
        secret_name=CA_SECRET,
        private_key=CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256),
    )
    await store.create(root)
    await store.create(issuer_ca(secret_name=CA_SECRET, namespace=NAMESPACE))


async def create_all(store: SQLiteStore, objects: Sequence[Certificate]) -> dict[str, float]:
    """Create every object at once (as one `certpilot apply` of many documents would); returns
    when each create was acknowledged (perf_counter) by name."""
    applied: dict[str, float] = {}

    async def create(obj: Certificate) -> None:
        await store.create(obj)
        applied[obj.name] = time.perf_counter()

    await asyncio.gather(*(create(o) for o in objects))
    return applied


# --- watching Ready --------------------------------------------------------------------------

_READY = """
COALESCE(json_extract(body, '$.status.revision'), 0) >= 1
  AND EXISTS (SELECT 1 FROM json_each(body, '$.status.conditions') AS c
              WHERE json_extract(c.value, '$.type') = 'Ready'
                AND json_extract(c.value, '$.status') = 'True')
  AND NOT EXISTS (SELECT 1 FROM json_each(body, '$.status.conditions') AS c
              WHERE json_extract(c.value, '$.type') = 'Issuing'
                AND json_extract(c.value, '$.status') = 'True')
"""
_CERTIFICATE = "api_version = 'cert-manager.io/v1' AND kind = 'Certificate'"
_ALL_READY_SQL = f"SELECT name FROM objects WHERE {_CERTIFICATE} AND namespace = ? AND {_READY}"
_NEWLY_READY_SQL = f"""
SELECT json_extract(body, '$.metadata.name') FROM changes
WHERE {_CERTIFICATE} AND rv > ? AND rv <= ? AND type != 'DELETED'
  AND json_extract(body, '$.metadata.namespace') = ? AND {_READY}
"""


class ReadyWatcher:
    """Polls the store file read-only and records when each Certificate was first seen Ready.

    Each poll reads only the Certificate changes made since the previous one (the store's change
    log, by its index), so polling every 10 ms costs the same whether 10 or 10,000 Certificates
    exist: a scan of every Certificate per poll took ~45 % of a core at n=1,000, taken from the
    daemon on a 2-core machine. A full scan is made first, and again if compaction removed changes
    the watcher had not read."""

    def __init__(self, store_path: Path, namespace: str = NAMESPACE, interval: float = 0.01) -> None:
        self._connection = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True, isolation_level=None)
        self._connection.execute("PRAGMA busy_timeout = 10000")
        self._namespace = namespace
        self._interval = interval
        self._read_through: int | None = None
        self.ready_at: dict[str, float] = {}

    def poll(self) -> None:
        now = time.perf_counter()
        latest, compacted_through = self._connection.execute(
            "SELECT (SELECT COALESCE(MAX(rv), 0) FROM changes),"
            " (SELECT value FROM meta WHERE key = 'compacted_through')"
        ).fetchone()
        if self._read_through is None or self._read_through < compacted_through:
            rows = self._connection.execute(_ALL_READY_SQL, (self._namespace,))
        else:
            rows = self._connection.execute(_NEWLY_READY_SQL, (self._read_through, latest, self._namespace))
        for (name,) in rows:
            self.ready_at.setdefault(name, now)
        self._read_through = latest

    async def wait_for(self, names: Sequence[str], limit: float, alive: Any = None) -> None:
        """Poll until every name is Ready; TimeoutError after `limit` seconds."""
        wanted = set(names)
        deadline = time.monotonic() + limit
        while not wanted <= self.ready_at.keys():
            if time.monotonic() > deadline:
                missing = sorted(wanted - self.ready_at.keys())
                raise TimeoutError(f"{len(missing)} Certificates not Ready after {limit} s: {missing[:5]}")
            if alive is not None:
                alive()
            await asyncio.sleep(self._interval)
            self.poll()

    def close(self) -> None:
        self._connection.close()


def count_secrets_with_certificates(store_path: Path, names: Sequence[str]) -> int:
    """How many of the named Secrets hold a tls.crt (read-only SQL)."""
    connection = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        stored = {
            name
            for (name,) in connection.execute(
                "SELECT name FROM objects WHERE api_version = 'v1' AND kind = 'Secret' AND namespace = ? "
                "AND json_extract(body, '$.data.\"tls.crt\"') IS NOT NULL",
                (NAMESPACE,),
            )
        }
    finally:
        connection.close()
    return len(stored & set(names))


async def wait_mirrored(output_dir: Path, secret_names: Sequence[str], limit: float) -> None:
    deadline = time.monotonic() + limit
    pending = list(secret_names)
    while pending:
        pending = [n for n in pending if not (output_dir / NAMESPACE / n / "tls.key").exists()]
        if not pending:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(pending)} Secrets not mirrored to files after {limit} s")
        await asyncio.sleep(0.02)


async def wait_issuer_ready(store: SQLiteStore, name: str, limit: float, alive: Any = None) -> None:
    """Poll the Issuer until its Ready condition is True."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if alive is not None:
            alive()
        with contextlib.suppress(NotFound):
            issuer = await store.get(Issuer, name, NAMESPACE)
            ready = get_condition(issuer.status.conditions if issuer.status else None, "Ready")
            if ready is not None and ready.status == "True":
                return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"Issuer {NAMESPACE}/{name} not Ready after {limit} s")
