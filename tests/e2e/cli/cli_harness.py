"""Helpers shared by the tests in this folder (fixtures are in conftest.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from certpilot.testing.peers.ports import free_port

CERTPILOT = [sys.executable, "-m", "certpilot.cli"]


REPO = Path(__file__).resolve().parents[3]


QUICKSTART = REPO / "examples" / "quickstart"


API_MANIFESTS = REPO / "tests" / "unit" / "api" / "manifests"


class Cli:
    def __init__(self, store: Path) -> None:
        self.store = store
        self.env = {**os.environ, "CERTPILOT_STORE": str(store)}

    def __call__(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*CERTPILOT, *args], input=input, capture_output=True, text=True, env=self.env, timeout=120
        )
        if check and result.returncode != 0:
            raise AssertionError(f"certpilot {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result

    def items(self, kind: str, *args: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = json.loads(self("get", kind, "-A", "-o", "json", *args).stdout)["items"]
        return items

    def wait_ready(
        self, kind: str, names: list[str], timeout: float = 60.0, namespace: str = "default"
    ) -> None:
        deadline = time.monotonic() + timeout
        pending: list[str] = list(names)
        while time.monotonic() < deadline:
            ready = {
                item["metadata"]["name"]
                for item in self.items(kind)
                if item["metadata"].get("namespace", namespace) == namespace
                and any(
                    c["type"] == "Ready" and c["status"] == "True"
                    for c in item.get("status", {}).get("conditions", [])
                )
            }
            pending = [n for n in names if n not in ready]
            if not pending:
                return
            time.sleep(0.3)
        raise AssertionError(f"{kind} not Ready after {timeout}s: {pending}")


def poll_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Check `condition` every 0.1 s until it holds; AssertionError naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


class Daemon:
    """`certpilot run` as a child process, stopped with SIGTERM. Its HTTP-01 listener is on
    `http01_port` (a free port unless given)."""

    def __init__(self, cli: Cli, workdir: Path, *extra: str, http01_port: int | None = None) -> None:
        self.log = workdir / "daemon.log"
        self.output_dir = workdir / "out"
        self.metrics_port = free_port()
        self.process = subprocess.Popen(
            [
                *CERTPILOT,
                "run",
                "--output-dir",
                str(self.output_dir),
                "--metrics-listen",
                f"127.0.0.1:{self.metrics_port}",
                "--http01-listen",
                f"127.0.0.1:{http01_port or free_port()}",
                *extra,
            ],
            env=cli.env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=30)

    def output(self) -> str:
        return self.log.read_text(errors="replace")
