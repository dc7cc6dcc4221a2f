"""`certpilot run` restarts itself in place once most of what it cached is deleted
(runtime/memory/restart_to_shrink.py): same process id, same log, the same arguments, and it goes
on issuing afterwards. The thresholds are lowered so that a few Certificates are enough."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli.cli_harness import Cli, Daemon, poll_until

CERTIFICATES = [f"leaf-{i}" for i in range(6)]
RESTARTED = "restarting to return memory"


def manifests(names: list[str]) -> str:
    issuer = (
        "apiVersion: cert-manager.io/v1\nkind: Issuer\n"
        "metadata: {name: selfsigned, namespace: default}\nspec: {selfSigned: {}}\n"
    )
    leaves = [
        "apiVersion: cert-manager.io/v1\nkind: Certificate\n"
        f"metadata: {{name: {name}, namespace: default}}\n"
        f"spec: {{secretName: {name}-tls, dnsNames: [{name}.example.test],\n"
        "  issuerRef: {name: selfsigned}}\n"
        for name in names
    ]
    return "---\n".join([issuer, *leaves])


def test_the_daemon_restarts_in_place_after_most_objects_are_deleted(cli: Cli, tmp_path: Path) -> None:
    # Any memory use at all is enough, and 12 objects gone: only the restart itself is under test
    # (bench/churn.py measures the memory it returns).
    daemon = Daemon(cli, tmp_path, "--memory-restart-factor", "0.001", "--memory-restart-min-objects", "12")
    try:
        cli("apply", "-f", "-", input=manifests(CERTIFICATES))
        cli.wait_ready("certificate", CERTIFICATES)
        assert RESTARTED not in daemon.output()
        cli("delete", "certificate", *CERTIFICATES)
        cli("delete", "secret", *[f"{name}-tls" for name in CERTIFICATES])

        poll_until(lambda: daemon.output().count("msg=started") == 2, "the daemon to start again")
        assert daemon.alive(), "the same process (the same pid) runs on"
        log = daemon.output()
        assert RESTARTED in log and "down from" in log
        assert log.index("msg=stopped") < log.index(RESTARTED), "stopped gracefully first"

        cli("apply", "-f", "-", input=manifests(["after-restart"]))
        cli.wait_ready("certificate", ["after-restart"])
        assert (daemon.output_dir / "default" / "after-restart-tls" / "tls.crt").exists()
        assert daemon.output().count(RESTARTED) == 1, "a new start is the new baseline: no loop"
    finally:
        if daemon.alive():
            assert daemon.stop() == 0
