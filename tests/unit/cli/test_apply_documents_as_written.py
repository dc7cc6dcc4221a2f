"""`certpilot apply` takes manifests as cert-manager's documentation writes them: a Namespace first,
and, with --ignore-unknown-kinds, kinds certpilot does not serve (a Gateway) beside the rest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata: {name: sandbox}\n"
GATEWAY = (
    "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: sandbox}\n"
    "spec: {gatewayClassName: x, listeners: []}\n"
)
CERTIFICATE = (
    "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: web, namespace: sandbox}\n"
    "spec: {secretName: web-tls, dnsNames: [web.example.com], issuerRef: {name: ca}}\n"
)


def certpilot(tmp_path: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "certpilot.cli", *args, "--store", str(tmp_path / "store.db")],
        input=input,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_namespace_is_applied_reported_and_listed(tmp_path: Path) -> None:
    manifest = NAMESPACE + "---\n" + CERTIFICATE
    first = certpilot(tmp_path, "apply", "-f", "-", input=manifest)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "namespace/sandbox created",
        "certificate.cert-manager.io/web created",
    ]
    again = certpilot(tmp_path, "apply", "-f", "-", input=manifest)
    assert again.stdout.splitlines()[0] == "namespace/sandbox unchanged"
    listed = certpilot(tmp_path, "get", "namespaces")
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()
    assert header.split() == ["NAME", "STATUS", "AGE"]
    assert row.split()[:2] == ["sandbox", "Active"]


def test_an_unknown_kind_refuses_the_file_and_names_the_flag(tmp_path: Path) -> None:
    refused = certpilot(tmp_path, "apply", "-f", "-", input=GATEWAY + "---\n" + CERTIFICATE)
    assert refused.returncode == 1
    assert "Gateway/gw" in refused.stderr and "--ignore-unknown-kinds" in refused.stderr
    assert "No resources found" in certpilot(tmp_path, "get", "certificates", "-A").stderr


def test_ignore_unknown_kinds_skips_them_with_a_notice_and_applies_the_rest(tmp_path: Path) -> None:
    applied = certpilot(
        tmp_path, "apply", "--ignore-unknown-kinds", "-f", "-", input=GATEWAY + "---\n" + CERTIFICATE
    )
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.splitlines() == ["certificate.cert-manager.io/web created"]
    assert applied.stderr.splitlines() == [
        "notice: <stdin>: document 1 (Gateway/gw): skipped, "
        "certpilot does not serve gateway.networking.k8s.io/v1 Gateway"
    ]
