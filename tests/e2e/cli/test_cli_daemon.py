"""The cmctl verbs and the daemon together: `certpilot run` issuing the quickstart."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.e2e.cli.cli_harness import QUICKSTART, Cli, Daemon, poll_until

pytestmark = pytest.mark.slow

QUICKSTART_CERTS = ["quickstart-ca", "web-rsa", "api-ecdsa", "workload-ed25519", "java-app"]


def _conditions(item: dict) -> dict[str, dict]:  # type: ignore[type-arg]
    return {c["type"]: c for c in item.get("status", {}).get("conditions", [])}


def test_quickstart_issues_and_every_verb_works(cli: Cli, daemon: Daemon, tmp_path: Path) -> None:
    cli("apply", "-f", str(QUICKSTART))
    cli.wait_ready("certificate", QUICKSTART_CERTS)

    # Files mirrored, key 0600, chains verify with openssl.
    out = daemon.output_dir / "default" / "api-ecdsa-tls"
    assert (out / "tls.key").stat().st_mode & 0o777 == 0o600
    verify = subprocess.run(
        ["openssl", "verify", "-CAfile", str(out / "ca.crt"), str(out / "tls.crt")],
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr

    p12 = subprocess.run(
        [
            "openssl",
            "pkcs12",
            "-in",
            str(daemon.output_dir / "default" / "java-app-tls" / "keystore.p12"),
            "-passin",
            "pass:changeit",
            "-nokeys",
        ],
        capture_output=True,
        text=True,
    )
    assert p12.returncode == 0 and "CN = java.example.test" in p12.stdout, p12.stderr

    # A bad manifest is refused by the CLI and the daemon keeps running.
    bad = cli(
        "apply",
        "-f",
        "-",
        input="apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: x}\n"
        "spec: {secretName: x, issuerRef: {name: quickstart-ca}, dnsNames: [a.test], duration: 1m}\n",
        check=False,
    )
    assert bad.returncode == 1 and "spec.duration" in bad.stderr
    assert daemon.alive()

    status = cli("status", "certificate", "api-ecdsa").stdout
    assert "Ready: True" in status
    assert "api.example.test" in status
    assert "CertificateRequest:" in status

    inspected = cli("inspect", "secret", "api-ecdsa-tls").stdout
    assert "api.example.test" in inspected
    assert "PRIVATE KEY" not in inspected
    key_pem = (out / "tls.key").read_text()
    assert key_pem.splitlines()[1] not in inspected

    # renew: a new revision is issued with a new key (rotationPolicy Always).
    before = json.loads(cli("get", "cert", "api-ecdsa", "-o", "json").stdout)["status"]["revision"]
    assert "Manually triggered" in cli("renew", "api-ecdsa").stdout
    for _ in range(100):
        cert = json.loads(cli("get", "cert", "api-ecdsa", "-o", "json").stdout)
        if cert["status"].get("revision", 0) > before and _conditions(cert)["Ready"]["status"] == "True":
            break
    else:
        raise AssertionError("renew did not re-issue")
    assert (out / "tls.key").read_text() != key_pem

    # create certificaterequest with a locally generated key, fetched once issued.
    manifest = tmp_path / "cert.yaml"
    manifest.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "cert-manager.io/v1",
                "kind": "Certificate",
                "metadata": {"name": "local"},
                "spec": {
                    "secretName": "unused",
                    "dnsNames": ["local.example.test"],
                    "issuerRef": {"name": "quickstart-ca"},
                    "privateKey": {"algorithm": "ECDSA", "size": 256},
                },
            }
        )
    )
    key_file, crt_file = tmp_path / "local.key", tmp_path / "local.crt"
    cli(
        "create",
        "certificaterequest",
        "local-1",
        "--from-certificate-file",
        str(manifest),
        "--fetch-certificate",
        "--output-key-file",
        str(key_file),
        "--output-certificate-file",
        str(crt_file),
        "--timeout",
        "60",
    )
    assert key_file.stat().st_mode & 0o777 == 0o600
    text = subprocess.run(
        ["openssl", "x509", "-noout", "-text", "-in", str(crt_file)], capture_output=True, text=True
    )
    assert "DNS:local.example.test" in text.stdout
    mod_key = subprocess.run(
        ["openssl", "pkey", "-in", str(key_file), "-pubout"], capture_output=True, text=True
    )
    mod_crt = subprocess.run(
        ["openssl", "x509", "-in", str(crt_file), "-noout", "-pubkey"], capture_output=True, text=True
    )
    assert mod_key.stdout == mod_crt.stdout

    metrics = (
        urllib.request.urlopen(f"http://127.0.0.1:{daemon.metrics_port}/metrics", timeout=5).read().decode()
    )
    assert "certmanager_certificate_ready_status{" in metrics
    assert "certmanager_controller_sync_call_count" in metrics

    assert daemon.stop() == 0
    # No private key material in anything the daemon printed.
    log = daemon.output()
    assert "PRIVATE KEY" not in log
    for d in (daemon.output_dir / "default").iterdir():
        body = "".join((d / "tls.key").read_text().splitlines()[1:-1]) if (d / "tls.key").exists() else ""
        assert not body or body[:40] not in log.replace("\n", "")


def test_approve_and_deny_are_final(cli: Cli) -> None:
    """Without a daemon nothing approves automatically, so the verbs decide."""
    request = base64.b64encode(
        subprocess.run(
            [
                "openssl",
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "/dev/null",
                "-subj",
                "/CN=x.example.test",
            ],
            capture_output=True,
            check=True,
        ).stdout
    ).decode()
    for name in ("a", "b"):
        cli(
            "apply",
            "-f",
            "-",
            input=yaml.safe_dump(
                {
                    "apiVersion": "cert-manager.io/v1",
                    "kind": "CertificateRequest",
                    "metadata": {"name": name},
                    "spec": {"request": request, "issuerRef": {"name": "ca"}},
                }
            ),
        )
    assert "Approved" in cli("approve", "a").stdout
    assert "Denied" in cli("deny", "b").stdout
    again = cli("deny", "a", check=False)
    assert again.returncode == 1 and "already Approved" in again.stderr
    items = {i["metadata"]["name"]: _conditions(i) for i in cli.items("cr")}
    assert items["a"]["Approved"]["status"] == "True" and "Denied" not in items["a"]
    assert items["b"]["Denied"]["status"] == "True" and "Approved" not in items["b"]


def test_renew_refuses_without_target(cli: Cli) -> None:
    result = cli("renew", check=False)
    assert result.returncode == 1 and "--all" in result.stderr


def test_run_with_a_manifests_folder_applies_and_prunes(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "manifests"
    shutil.copytree(QUICKSTART, folder)
    daemon = Daemon(cli, tmp_path, "--manifests", str(folder))
    try:
        cli.wait_ready("certificate", QUICKSTART_CERTS)
        (folder / "10-leaves.yaml").unlink()
        poll_until(
            lambda: [i["metadata"]["name"] for i in cli.items("cert")] == ["quickstart-ca"],
            "the leaves to be pruned after their manifest was removed",
        )
        (folder / "20-broken.yaml").write_text(
            "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: b}\n"
        )
        poll_until(lambda: "20-broken.yaml" in daemon.output(), "the daemon to report 20-broken.yaml")
        assert daemon.alive()
    finally:
        daemon.stop()
