"""The store under faults, with real processes: `certpilot backup` of a store a running daemon is
writing to, `certpilot restore` refused while that daemon runs, a damaged or truncated store refused
at start with a message that names the recovery, and the restore that recovers from it."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from pathlib import Path

from tests.e2e.cli.cli_harness import CERTPILOT, Cli, Daemon

MANIFEST = """
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: selfsigned}
spec: {selfSigned: {}}
""" + "".join(
    f"""---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {{name: web-{index}}}
spec:
  secretName: web-{index}-tls
  dnsNames: [web-{index}.example.test]
  privateKey: {{algorithm: ECDSA}}
  issuerRef: {{name: selfsigned}}
"""
    for index in range(8)
)
NAMES = [f"web-{index}" for index in range(8)]


def damage(path: Path) -> None:
    """Overwrite the middle of the file (b-tree pages) with garbage, as a bad disk would."""
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.seek(size // 3)
        file.write(b"\xa5" * max(4096, size // 3))


def wait_serving(daemon: Daemon, limit: float = 60.0) -> None:
    """Until the daemon's /readyz answers 200 (its controllers run and it handles SIGTERM)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert daemon.alive(), daemon.output()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{daemon.metrics_port}/readyz", timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"the daemon was not ready within {limit} s")


def refused_start(cli: Cli, workdir: Path) -> subprocess.CompletedProcess[str]:
    """`certpilot run` on a damaged store: must exit at once with its reason."""
    return subprocess.run(
        [*CERTPILOT, "run", "--metrics-listen", "", "--http01-listen", "", "--output-dir", str(workdir)],
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_backup_while_running_then_restore_after_damage(cli: Cli, daemon: Daemon, tmp_path: Path) -> None:
    backup = tmp_path / "backup.db"
    cli("apply", "-f", "-", input=MANIFEST)
    cli.wait_ready("certificates", NAMES)
    # Another write burst while the backup runs: the copy must still be one consistent snapshot.
    cli("renew", "--all")
    result = cli("backup", str(backup))
    assert f"backed up {cli.store} to {backup}" in result.stdout
    assert backup.stat().st_mode & 0o777 == 0o600, "a backup holds private keys"

    refused = cli("restore", str(backup), check=False)
    assert refused.returncode == 1
    assert "not restoring: another certpilot daemon" in refused.stderr
    assert daemon.alive()
    cli.wait_ready("certificates", NAMES)
    assert daemon.stop() == 0

    damage(cli.store)
    started = time.monotonic()
    failed = refused_start(cli, tmp_path / "out")
    assert failed.returncode == 1, failed.stderr
    assert f"the store {cli.store} is damaged" in failed.stderr
    assert "certpilot restore BACKUP --store" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert time.monotonic() - started < 30

    restored = cli("restore", str(backup))
    assert f"restored {cli.store} from {backup}" in restored.stdout
    assert cli.store.stat().st_mode & 0o777 == 0o600
    names = sorted(item["metadata"]["name"] for item in cli.items("certificates"))
    assert names == NAMES
    (tmp_path / "again").mkdir()
    again = Daemon(cli, tmp_path / "again")
    try:
        wait_serving(again)
        cli.wait_ready("certificates", NAMES)
    finally:
        assert again.stop() == 0


def test_truncated_store_is_refused_and_a_damaged_backup_is_not_restored(cli: Cli, tmp_path: Path) -> None:
    cli("apply", "-f", "-", input=MANIFEST)
    cli("backup", str(tmp_path / "good.db"))
    with cli.store.open("r+b") as file:
        file.truncate(cli.store.stat().st_size // 2)
    failed = refused_start(cli, tmp_path / "out")
    assert failed.returncode == 1
    assert f"the store {cli.store} is damaged" in failed.stderr

    bad = tmp_path / "bad.db"
    bad.write_bytes((tmp_path / "good.db").read_bytes())
    damage(bad)
    refused = cli("restore", str(bad), check=False)
    assert refused.returncode == 1
    assert f"the backup {bad} is damaged" in refused.stderr
    assert "nothing was restored" in refused.stderr

    cli("restore", str(tmp_path / "good.db"))
    assert len(cli.items("certificates")) == len(NAMES)
