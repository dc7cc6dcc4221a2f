"""No secret in anything certpilot prints or serves, for the issuers that run without a peer
(SelfSigned, CA, a PKCS#12 keystore with a password): every DEBUG log line, Event, `get -o yaml` of
every kind (taken while the daemon works and after), `describe` of every object, `status` and
`inspect secret` output and /metrics is searched for each private key and the keystore password, in
every form redaction_harness.forms lists. ACME with EAB is covered by
tests/e2e/acme_issuance/test_redaction_acme.py, Vault by tests/e2e/vault/test_redaction_vault.py."""

from __future__ import annotations

import base64
from pathlib import Path

from tests.e2e.cli.cli_harness import Cli, Daemon
from tests.e2e.cli.redaction_harness import Transcript, leaks, private_key

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


def test_no_key_or_password_in_logs_events_status_describe_or_metrics(cli: Cli, tmp_path: Path) -> None:
    daemon = Daemon(cli, tmp_path, "--log-level", "DEBUG")
    with Transcript(cli, daemon) as transcript:
        (tmp_path / "all.yaml").write_text(MANIFESTS)
        cli("apply", "-f", str(tmp_path / "all.yaml"))
        transcript.watch_until_ready(["root", "leaf"])
    secrets = {
        **private_key("root key", (daemon.output_dir / "default" / "root" / "tls.key").read_bytes()),
        **private_key("leaf key", (daemon.output_dir / "default" / "leaf" / "tls.key").read_bytes()),
        "PKCS#12 password": PASSWORD.encode(),
    }
    assert (daemon.output_dir / "default" / "leaf" / "keystore.p12").exists()
    assert transcript.leaks(secrets) == []
    # The search finds each secret where one is: `get secret -o yaml` prints data, as kubectl does.
    where_they_are = (
        cli("get", "secret", "leaf", "-o", "yaml").stdout
        + cli("get", "secret", "p12-password", "-o", "yaml").stdout
    )
    assert leaks(where_they_are, secrets) == ["leaf key", "PKCS#12 password"]


def test_a_raw_secret_is_searched_whole_though_it_holds_newline_bytes() -> None:
    """A JWK "d" is random bytes: split at a newline byte it left fragments of a byte or two,
    which any long log contains (a flaky finding in the ACME redaction test)."""
    raw = b"\x01\x02\nab\n" + bytes(range(200, 226))
    assert leaks("ab and more", {"JWK d": raw}) == []
    assert leaks(base64.urlsafe_b64encode(raw).rstrip(b"=").decode(), {"JWK d": raw}) == ["JWK d"]
