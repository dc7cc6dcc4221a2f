"""Two `certpilot apply` processes racing on one object: one wins, the other exits 1 with a Conflict
naming the object, and the stored object is exactly the winner's. The race is made certain, not
hoped for: the test holds the store's write lock while both processes start, waits until both have
read the object and are waiting for the lock (a thread of each sleeping in SQLite's busy handler,
seen in /proc), then lets go."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.cli.cli_harness import CERTPILOT, Cli

# The nanosleep / clock_nanosleep system calls on x86-64 and arm64: SQLite's busy handler sleeps
# in one of them between attempts to take the write lock.
SLEEP_SYSCALLS = {"35", "230", "101", "115"}


def manifest(dns_name: str) -> str:
    return f"""
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {{name: raced}}
spec:
  secretName: raced-tls
  dnsNames: [{dns_name}]
  issuerRef: {{name: ca}}
"""


def waiting_for_the_write_lock(pid: int) -> bool:
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (task / "syscall").read_text().split(" ", 1)[0] in SLEEP_SYSCALLS:
                return True
        except OSError:
            continue
    return False


def race(cli: Cli, first: str, second: str) -> list[subprocess.CompletedProcess[str]]:
    """Both applies read the object, then race for the write; returns their results in order."""
    lock = sqlite3.connect(cli.store, isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    processes = [
        subprocess.Popen(
            [*CERTPILOT, "apply", "-f", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli.env,
        )
        for _ in (first, second)
    ]
    try:
        for process, body in zip(processes, (first, second), strict=True):
            assert process.stdin is not None
            process.stdin.write(manifest(body))
            process.stdin.close()
        deadline = time.monotonic() + 60
        while not all(waiting_for_the_write_lock(p.pid) for p in processes):
            assert all(p.poll() is None for p in processes), "an apply ended while the lock was held"
            assert time.monotonic() < deadline, "the applies never waited for the write lock"
            time.sleep(0.01)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    results = []
    for process in processes:
        assert process.stdout is not None and process.stderr is not None
        stdout, stderr = process.stdout.read(), process.stderr.read()
        process.wait(60)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))
    return results


@pytest.mark.parametrize("exists", [False, True], ids=["both-create", "both-update"])
def test_one_apply_wins_and_the_other_gets_a_conflict(cli: Cli, exists: bool) -> None:
    if exists:
        cli("apply", "-f", "-", input=manifest("before.example.test"))
    else:
        cli("get", "certificates")  # creates the store file the lock is taken on
    results = race(cli, "a.example.test", "b.example.test")
    winners = [r for r in results if r.returncode == 0]
    losers = [r for r in results if r.returncode != 0]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].returncode == 1
    message = losers[0].stderr
    assert message.startswith("error: certificate.cert-manager.io/raced"), message
    assert "conflict" in message.lower(), message
    assert "Traceback" not in message
    won = "a.example.test" if results[0] is winners[0] else "b.example.test"
    (stored,) = cli.items("certificates")
    assert stored["spec"]["dnsNames"] == [won]
