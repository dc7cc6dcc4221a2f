"""A full disk under a running daemon, on a real filesystem: the store and the output folder live on
an 8 MB tmpfs that fills up while Certificates issue. Writes fail cleanly (the CLI exits 1 naming the
cause, the daemon logs one line per failure and keeps running, no traceback), and once space returns
the daemon finishes every Certificate, with files whose keys match their certificates and no
half-written file versions left behind. Needs mount (root); skipped, saying so, where it is refused."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from certpilot.testing.audit import file_mismatch
from tests.e2e.cli.cli_harness import Cli, Daemon

pytestmark = pytest.mark.slow

CA = """
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: selfsigned}
spec: {selfSigned: {}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: root}
spec: {secretName: root-tls, isCA: true, commonName: root, issuerRef: {name: selfsigned}}
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: ca}
spec: {ca: {secretName: root-tls}}
"""
COUNT = 30
LEAVES = "".join(
    f"""---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {{name: leaf-{i}}}
spec:
  secretName: leaf-{i}-tls
  dnsNames: [leaf-{i}.example.test]
  privateKey: {{algorithm: ECDSA}}
  issuerRef: {{name: ca}}
"""
    for i in range(COUNT)
)
FULL = ("database or disk is full", "No space left on device")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path, leave_kb: int) -> Path:
    """A file taking all the free space of disk but leave_kb."""
    filler = disk / "filler"
    free_kb = shutil.disk_usage(disk).free // 1024
    with filler.open("wb") as file:
        file.truncate(0)
        file.write(b"\0" * max(0, free_kb - leave_kb) * 1024)
    return filler


def test_writes_fail_cleanly_and_the_daemon_resumes(small_disk: Path, tmp_path: Path) -> None:
    cli = Cli(small_disk / "store.db")
    cli("apply", "-f", "-", input=CA)
    daemon = Daemon(cli, tmp_path, "--output-dir", str(small_disk / "out"))
    try:
        cli.wait_ready("certificates", ["root"])
        filler = fill(small_disk, leave_kb=400)
        applied = cli("apply", "-f", "-", input=LEAVES, check=False)
        if applied.returncode != 0:
            assert applied.returncode == 1
            assert applied.stderr.startswith("error: the store") and FULL[0] in applied.stderr, applied.stderr
        deadline = time.monotonic() + 60
        while not any(reason in daemon.output() for reason in FULL):
            assert time.monotonic() < deadline, "the daemon never met the full disk"
            time.sleep(0.1)
        assert daemon.alive()
        filler.unlink()
        cli("apply", "-f", "-", input=LEAVES)
        names = [f"leaf-{i}" for i in range(COUNT)]
        cli.wait_ready("certificates", names, timeout=120)
        assert daemon.alive()
    finally:
        daemon.stop()
    log = daemon.output()
    assert "Traceback" not in log
    for name in names:
        folder = small_disk / "out" / "default" / f"{name}-tls"
        assert file_mismatch(folder) is None, name
        versions = [p for p in folder.iterdir() if p.name.startswith("..v")]
        assert len(versions) == 1, f"{name}: {versions}"
