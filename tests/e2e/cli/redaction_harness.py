"""Searching everything certpilot prints or serves for secrets: the redaction tests of every issuer
(tests/e2e/cli/test_redaction.py, tests/e2e/acme_issuance/test_redaction_acme.py,
tests/e2e/vault/test_redaction_vault.py) record a real `certpilot run --log-level DEBUG` with this."""

from __future__ import annotations

import base64
import json
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.cli.cli_harness import Cli, Daemon

# Every kind an issuance creates or updates, in the order `describe` walks them.
KINDS = ("issuers", "clusterissuers", "certificates", "certificaterequests", "orders", "challenges")


def forms(secret: bytes) -> list[bytes]:
    """The shapes a secret could leak in: as is, base64 (as a Secret stores it), base64url without
    padding (as JOSE writes keys), and each line of its PEM body on its own."""
    lines = [line for line in secret.splitlines() if line.strip() and not line.startswith(b"-----")]
    return [
        secret,
        base64.b64encode(secret),
        base64.urlsafe_b64encode(secret).rstrip(b"="),
        *lines,
    ]


def leaks(text: str, secrets: Mapping[str, bytes]) -> list[str]:
    """The names of the secrets found in `text`, in any of their forms."""
    seen = text.encode()
    return [what for what, secret in secrets.items() if any(form in seen for form in forms(secret))]


def secret_data(cli: Cli, name: str, key: str) -> bytes:
    """One value of a Secret in the daemon's store, decoded."""
    secret = json.loads(cli("get", "secret", name, "-o", "json").stdout)
    return base64.b64decode(secret["data"][key])


def apply(cli: Cli, workdir: Path, objects: list[dict[str, Any]]) -> None:
    manifest = workdir / "objects.yaml"
    manifest.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    cli("apply", "-f", str(manifest))


class Transcript:
    """Everything one daemon and the CLI around it printed or served: every log line (DEBUG
    included), the Events, `get -o yaml` of every kind taken while it worked and after, `describe`
    of every object, `status` and `inspect secret` of every Certificate, and /metrics."""

    def __init__(self, cli: Cli, daemon: Daemon) -> None:
        self.cli = cli
        self.daemon = daemon
        self.texts: list[str] = []

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """`get -A -o yaml` of every kind (recorded); the objects, by kind."""
        objects: dict[str, list[dict[str, Any]]] = {}
        for kind in KINDS:
            listing = self.cli("get", kind, "-A", "-o", "yaml").stdout
            self.texts.append(listing)
            objects[kind] = yaml.safe_load(listing)["items"]
        return objects

    def watch_until_ready(self, names: list[str], timeout: float = 90.0) -> None:
        """Snapshot every kind (Orders and Challenges while they exist) until these Certificates are
        Ready."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready = {
                item["metadata"]["name"]
                for item in self.snapshot()["certificates"]
                if any(
                    c["type"] == "Ready" and c["status"] == "True"
                    for c in item.get("status", {}).get("conditions", [])
                )
            }
            if set(names) <= ready:
                return
            time.sleep(0.3)
        raise AssertionError(f"certificates not Ready after {timeout}s: {sorted(set(names) - ready)}")

    def record_everything_and_stop(self) -> None:
        """The final state in every form the CLI prints it, /metrics, then the daemon's whole log."""
        try:
            objects = self.snapshot()
            self.texts.append(self.cli("get", "events", "-A", "-o", "json").stdout)
            for kind, items in objects.items():
                for item in items:
                    meta = item["metadata"]
                    where = ["-n", meta["namespace"]] if meta.get("namespace") else []
                    self.texts.append(self.cli("describe", kind, meta["name"], *where).stdout)
            for item in objects["certificates"]:
                where = ["-n", item["metadata"]["namespace"]]
                self.texts.append(self.cli("status", "certificate", item["metadata"]["name"], *where).stdout)
                self.texts.append(self.cli("inspect", "secret", item["spec"]["secretName"], *where).stdout)
            url = f"http://127.0.0.1:{self.daemon.metrics_port}/metrics"
            with urllib.request.urlopen(url, timeout=10) as answer:
                self.texts.append(answer.read().decode())
        finally:
            self.daemon.stop()
        log = self.daemon.output()
        assert "level=debug logger=certpilot" in log, "the daemon logged nothing at DEBUG"
        self.texts.append(log)

    def leaks(self, secrets: Mapping[str, bytes]) -> list[str]:
        return leaks("\n".join(self.texts), secrets)
