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
from typing import Any, Self

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.e2e.cli.cli_harness import Cli, Daemon

# Every kind an issuance creates or updates, in the order `describe` walks them.
KINDS = ("issuers", "clusterissuers", "certificates", "certificaterequests", "orders", "challenges")


def forms(secret: bytes) -> list[bytes]:
    """The shapes a secret could leak in: as is, base64 (as a Secret stores it), base64url without
    padding (as JOSE writes keys), and each line of its PEM body on its own, except the lines of a
    private key that encode only public bytes (an RSA modulus, an EC point), which a JWK or a
    certificate legitimately shows."""
    if not secret.startswith(b"-----BEGIN "):
        # Raw bytes (a JWK "d", a decoded HMAC key) have no lines: split at the newline bytes a
        # random value may hold, they gave fragments of a few bytes that turned up in any long log.
        return [secret, base64.b64encode(secret), base64.urlsafe_b64encode(secret).rstrip(b"=")]
    lines = [line for line in secret.splitlines() if line.strip() and not line.startswith(b"-----")]
    if b"PRIVATE KEY-----" in secret:
        public = serialization.load_pem_private_key(secret, password=None).public_key()
        public_der = public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        lines = [line for line in lines if base64.b64decode(line) not in public_der]
    return [
        secret,
        base64.b64encode(secret),
        base64.urlsafe_b64encode(secret).rstrip(b"="),
        *lines,
    ]


def private_key(what: str, pem: bytes) -> dict[str, bytes]:
    """A private key to search for: its PEM, and its private number as the big-endian bytes a JWK
    carries base64url-encoded ("d", RFC 7518: full length for EC, minimal for RSA)."""
    key = serialization.load_pem_private_key(pem, password=None)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        number, size = key.private_numbers().private_value, (key.curve.key_size + 7) // 8
    elif isinstance(key, rsa.RSAPrivateKey):
        number = key.private_numbers().d
        size = (number.bit_length() + 7) // 8
    else:
        raise AssertionError(f"{what}: a {type(key).__name__} is not an ACME or certificate key here")
    return {what: pem, f"{what} (JWK d)": number.to_bytes(size, "big")}


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
    of every object, `status` and `inspect secret` of every Certificate, and /metrics. Used as
    `with Transcript(cli, daemon) as transcript:` around the test's steps; it stops the daemon."""

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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, failed: type[BaseException] | None, *_: object) -> None:
        """After the test's steps: the final state in every form the CLI prints it, /metrics, then the
        daemon's whole log (if a step failed, only stops the daemon)."""
        try:
            if failed is None:
                self.record_final_state()
        finally:
            self.daemon.stop()
        if failed is None:
            log = self.daemon.output()
            assert "level=debug logger=certpilot" in log, "the daemon logged nothing at DEBUG"
            self.texts.append(log)

    def record_final_state(self) -> None:
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
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.daemon.metrics_port}/metrics", timeout=10
        ) as answer:
            self.texts.append(answer.read().decode())

    def leaks(self, secrets: Mapping[str, bytes]) -> list[str]:
        return leaks("\n".join(self.texts), secrets)
