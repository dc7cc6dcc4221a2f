"""The daemon among bad objects and hostile names (docs/security.md): a CA issuer whose Secret holds
a damaged certificate gets Ready=False naming tls.crt while the good Certificates beside it issue;
no traceback reaches the log; the hook never runs a SAN through a shell; Secrets are encrypted at
rest, so the store file holds no issued private key."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.cli.cli_harness import Cli, Daemon, poll_until

SHELL_SAN = "a;touch${IFS}HOOKED.example"

GOOD = """
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: selfsigned}
spec: {selfSigned: {}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: root}
spec:
  isCA: true
  commonName: root
  secretName: root
  privateKey: {algorithm: ECDSA, size: 256}
  issuerRef: {name: selfsigned}
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: root}
spec: {ca: {secretName: root}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: good-leaf}
spec:
  secretName: good-leaf
  dnsNames: [good.example.com, "SHELL_SAN"]
  privateKey: {algorithm: ECDSA, size: 256}
  issuerRef: {name: root}
""".replace("SHELL_SAN", SHELL_SAN)


def _damaged_ca_secret() -> str:
    """A CA Secret whose certificate loads but whose public key does not parse (found by fuzzing:
    it used to raise a bare ValueError in the CA issuer on every check)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "damaged")])
    now = datetime.now(UTC)
    der = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    at = der.index(point)
    damaged = der[:at] + b"\x05" + der[at + 1 :]
    crt = b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(damaged) + b"-----END CERTIFICATE-----\n"
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return f"""
apiVersion: v1
kind: Secret
metadata: {{name: damaged-ca}}
type: kubernetes.io/tls
data: {{tls.crt: {base64.b64encode(crt).decode()}, tls.key: {base64.b64encode(key_pem).decode()}}}
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {{name: damaged-ca}}
spec: {{ca: {{secretName: damaged-ca}}}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {{name: bad-leaf}}
spec:
  secretName: bad-leaf
  dnsNames: [bad.example.com]
  issuerRef: {{name: damaged-ca}}
"""


def _condition(cli: Cli, kind: str, name: str) -> dict[str, str]:
    (item,) = [i for i in cli.items(kind) if i["metadata"]["name"] == name]
    conditions = item.get("status", {}).get("conditions", [])
    return next((c for c in conditions if c["type"] == "Ready"), {})


def test_bad_objects_fail_alone_and_secrets_stay_sealed(cli: Cli, tmp_path: Path) -> None:
    key_file = tmp_path / "store.key"
    key_file.write_text(base64.b64encode(os.urandom(32)).decode())
    cli.env["CERTPILOT_ENCRYPTION_KEY_FILE"] = str(key_file)
    hooked = tmp_path / "hooked.txt"
    hook = f'printf "%s\\n" "$CERTPILOT_SECRET_NAME" >> {hooked}'
    workdir = Path.cwd()
    daemon = Daemon(cli, tmp_path, "--hook", hook)
    try:
        manifests = tmp_path / "all.yaml"
        manifests.write_text(GOOD + "---" + _damaged_ca_secret())
        cli("apply", "-f", str(manifests))
        cli.wait_ready("certificates", ["root", "good-leaf"])
        poll_until(
            lambda: bool(_condition(cli, "issuers", "damaged-ca")), "issuer damaged-ca's Ready condition"
        )
        refused = _condition(cli, "issuers", "damaged-ca")
        assert refused.get("status") == "False", refused
        assert 'key "tls.crt": the public key of certificate 1 does not parse' in refused["message"]
        assert _condition(cli, "certificates", "bad-leaf").get("status") != "True"
        assert daemon.alive()
        assert "Traceback" not in daemon.output()

        leaf_key = (daemon.output_dir / "default" / "good-leaf" / "tls.key").read_bytes()
        poll_until(
            lambda: "good-leaf" in (hooked.read_text() if hooked.exists() else ""),
            "the hook run for good-leaf",
        )
        assert not list(workdir.glob("HOOKED*")) and not list(tmp_path.glob("HOOKED*"))
    finally:
        daemon.stop()

    stored = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*") if p.is_file())
    body = b"".join(line for line in leaf_key.splitlines() if not line.startswith(b"-----"))
    assert leaf_key not in stored and base64.b64encode(leaf_key) not in stored
    assert body[:40] not in stored
    del cli.env["CERTPILOT_ENCRYPTION_KEY_FILE"]
    refusal = cli("get", "secret", "good-leaf", check=False)
    assert refusal.returncode == 1 and "--encryption-key-file" in refusal.stderr
