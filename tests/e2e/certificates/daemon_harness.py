"""Helpers for daemon e2e tests: the daemon (`python -m certpilot.controllers`) as a child process,
and polling the store until a Certificate is Ready."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from certpilot.api.certificate import Certificate
from certpilot.api.conditions import get_condition
from certpilot.store.errors import NotFound
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.builders import certificate, issuer_ca, issuer_selfsigned

T = TypeVar("T")


class Daemon:
    def __init__(self, store_path: Path, output_dir: Path, log_path: Path, extra: list[str]) -> None:
        self.store_path = store_path
        self.output_dir = output_dir
        self.log_path = log_path
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "certpilot.cli",
                    "run",
                    "--store",
                    str(self.store_path),
                    # No fixed ports: tests pass --metrics-listen when they scrape.
                    "--metrics-listen",
                    "",
                    "--output-dir",
                    str(self.output_dir),
                    "--log-level",
                    "DEBUG",
                    *self.extra,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def kill(self) -> None:
        """kill -9: no chance to clean up."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self) -> int | None:
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                return process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


async def eventually(probe: Callable[[], Awaitable[T | None]], limit: float = 60.0, what: str = "") -> T:
    """Poll probe until it returns something other than None/False."""
    deadline = time.monotonic() + limit
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or probe}")
        await asyncio.sleep(0.1)


def is_ready(cert: Certificate, min_revision: int = 1) -> bool:
    status = cert.status
    if status is None or (status.revision or 0) < min_revision:
        return False
    ready = get_condition(status.conditions, "Ready")
    issuing = get_condition(status.conditions, "Issuing")
    return ready is not None and ready.status == "True" and (issuing is None or issuing.status != "True")


async def ready_certificate(
    store: SQLiteStore, name: str, namespace: str = "default", min_revision: int = 1, limit: float = 60.0
) -> Certificate:
    async def probe() -> Certificate | None:
        try:
            cert = await store.get(Certificate, name, namespace)
        except NotFound:
            return None
        return cert if is_ready(cert, min_revision) else None

    what = f"Certificate {namespace}/{name} Ready at revision >= {min_revision}"
    return await eventually(probe, limit, what)


DaemonFactory = Callable[..., Daemon]


async def make_ca(store: SQLiteStore, namespace: str = "default") -> None:
    await store.create(issuer_selfsigned(namespace=namespace))
    await store.create(
        certificate(
            "root",
            namespace,
            issuer="selfsigned",
            is_ca=True,
            common_name="certpilot test root",
            secret_name="ca-tls",
        )
    )
    await store.create(issuer_ca(namespace=namespace))
