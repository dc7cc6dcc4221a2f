"""No secret in anything certpilot prints or serves, for the issuers that run without a peer
(SelfSigned, CA, a PKCS#12 keystore with a password): every DEBUG log line, Event, status message,
`describe` and `status` output and /metrics is searched for each private key (raw, base64, a line
of its PEM) and the keystore password (raw, base64). ACME with EAB and Vault are not covered here
(docs/security.md says so)."""

from __future__ import annotations

import base64
import urllib.request
from pathlib import Path

from tests.e2e.cli.cli_harness import Cli, Daemon

PASSWORD = "p12-pass-6f1c2b9e4000"

MANIFESTS = f"""
apiVersion: v1
kind: Secret
metadata: {{name: p12-password}}
data: {{password: {base64.b64encode(PASSWORD.encode()).decode()}}}
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {{name: selfsigned}}
spec: {{selfSigned: {{}}}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {{name: root}}
spec:
  isCA: true
  commonName: root
  secretName: root
  privateKey: {{algorithm: ECDSA, size: 256}}
  issuerRef: {{name: selfsigned}}
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {{name: root}}
spec: {{ca: {{secretName: root}}}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {{name: leaf}}
spec:
  secretName: leaf
  dnsNames: [leaf.example.com]
  privateKey: {{algorithm: RSA, size: 2048}}
  issuerRef: {{name: root}}
  keystores:
    pkcs12:
      create: true
      passwordSecretRef: {{name: p12-password, key: password}}
"""


def _forms(secret: bytes) -> list[bytes]:
    lines = [line for line in secret.splitlines() if line.strip() and not line.startswith(b"-----")]
    return [secret, base64.b64encode(secret), *lines]


def test_no_key_or_password_in_logs_events_status_describe_or_metrics(cli: Cli, tmp_path: Path) -> None:
    daemon = Daemon(cli, tmp_path, "--log-level", "DEBUG")
    try:
        (tmp_path / "all.yaml").write_text(MANIFESTS)
        cli("apply", "-f", str(tmp_path / "all.yaml"))
        cli.wait_ready("certificates", ["root", "leaf"])
        outputs = [
            cli("get", "events", "-A", "-o", "json").stdout,
            cli("get", "certificates", "-A", "-o", "yaml").stdout,
            cli("get", "certificaterequests", "-A", "-o", "yaml").stdout,
            cli("get", "issuers", "-A", "-o", "yaml").stdout,
        ]
        for kind, name in [("certificate", "root"), ("certificate", "leaf"), ("issuer", "root")]:
            outputs.append(cli("describe", kind, name).stdout)
        for name in ("root", "leaf"):
            outputs.append(cli("status", "certificate", name).stdout)
            outputs.append(cli("inspect", "secret", name).stdout)
        secret_yaml = cli("get", "secret", "leaf", "-o", "yaml").stdout  # holds the key, as kubectl's does
        with urllib.request.urlopen(f"http://127.0.0.1:{daemon.metrics_port}/metrics", timeout=10) as answer:
            outputs.append(answer.read().decode())
    finally:
        daemon.stop()
    outputs.append(daemon.output())
    assert "level=debug logger=certpilot" in daemon.output()
    seen = "\n".join(outputs).encode()
    secrets = {
        "root key": (daemon.output_dir / "default" / "root" / "tls.key").read_bytes(),
        "leaf key": (daemon.output_dir / "default" / "leaf" / "tls.key").read_bytes(),
        "PKCS#12 password": PASSWORD.encode(),
    }
    assert (daemon.output_dir / "default" / "leaf" / "keystore.p12").exists()
    leaked = [what for what, secret in secrets.items() for form in _forms(secret) if form in seen]
    assert not leaked
    assert (
        base64.b64encode(secrets["leaf key"]).decode() in secret_yaml
    )  # the search finds a key where one is
