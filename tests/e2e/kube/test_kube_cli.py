"""Every CLI verb on a real cluster (`--kubeconfig`), with the same output as on the embedded store:
the same commands run against both, and their outputs agree line by line (ages and other moments
aside)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import get_condition
from certpilot.store.kubernetes import KubernetesStore
from tests.e2e.kube.kube_harness import DaemonFactory, self_signed_issuer, until, wait_ready

CERTPILOT = [sys.executable, "-m", "certpilot.cli"]
# Columns and lines that hold moments differ between any two runs: ages as kubectl writes them
# ("9s", "2m5s"), timestamps, fingerprints.
MOMENTS = re.compile(r"\b(?:\d+[smhdy])+\b|\d{4}-\d\d-\d\d[ T][\d:.+Z]+|([0-9A-F]{2}:){8,}[0-9A-F]{2}")
# A table's columns are as wide as their longest cell: an age of "9s" in one store's output and
# "10s" in the other's moves every column after it.
SPACES = re.compile(r" {2,}")


def certpilot(*args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*CERTPILOT, *args], capture_output=True, text=True, timeout=120, cwd=cwd)
    if check:
        assert result.returncode == 0, f"certpilot {' '.join(args)}: {result.stderr}"
    return result


def start_standalone_daemon(store: Path) -> subprocess.Popen[bytes]:
    command = [*CERTPILOT, "run", "--store", str(store), "--metrics-listen", "", "--http01-listen", ""]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def manifests(namespace: str) -> list[dict[str, Any]]:
    return [
        self_signed_issuer(namespace),
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": "web", "namespace": namespace},
            "spec": {
                "secretName": "web-tls",
                "commonName": "web.example.test",
                "dnsNames": ["web.example.test"],
                "privateKey": {"algorithm": "ECDSA"},
                "issuerRef": {"name": "self"},
            },
        },
    ]


def comparable(output: str, namespace: str) -> list[str]:
    """The output without moments, with the namespace's name made neutral and the columns'
    padding ignored."""
    return [
        SPACES.sub("  ", MOMENTS.sub("<t>", line.replace(namespace, "<ns>"))).rstrip()
        for line in output.splitlines()
    ]


async def test_every_verb_works_on_a_cluster_as_on_the_embedded_store(
    cluster: Any,
    kube_namespace: str,
    kube_store: KubernetesStore,
    daemons: DaemonFactory,
    tmp_path: Path,
) -> None:
    manifest = tmp_path / "objects.yaml"
    manifest.write_text(yaml.safe_dump_all(manifests(kube_namespace)))
    on_cluster = ("--kubeconfig", str(cluster.kubeconfig))
    standalone_store = tmp_path / "standalone.db"
    standalone = ("--store", str(standalone_store))

    applied = certpilot("apply", "-f", str(manifest), *on_cluster)
    assert comparable(applied.stdout, kube_namespace) == comparable(
        certpilot("apply", "-f", str(manifest), *standalone).stdout, kube_namespace
    )
    assert "certificate.cert-manager.io/web created" in applied.stdout

    daemon = daemons("--namespace", kube_namespace)
    standalone_daemon = start_standalone_daemon(standalone_store)
    try:
        await wait_ready(kube_store, "web", kube_namespace, daemon)
        await until(
            lambda: (
                "True" in certpilot("get", "certificate", "web", "-n", kube_namespace, *standalone).stdout
            ),
            60,
            "the standalone daemon issues too",
        )
        for verb in (
            ("get", "certificates", "-n", kube_namespace),
            ("get", "certificates", "-n", kube_namespace, "-o", "wide"),
            ("get", "issuers", "-n", kube_namespace),
            ("get", "certificaterequests", "-n", kube_namespace),
            ("status", "certificate", "web", "-n", kube_namespace),
            ("inspect", "secret", "web-tls", "-n", kube_namespace),
        ):
            ours = comparable(certpilot(*verb, *on_cluster).stdout, kube_namespace)
            theirs = comparable(certpilot(*verb, *standalone).stdout, kube_namespace)
            if verb[0] == "status":
                # Events of the same second come in each store's own order.
                ours, theirs = sorted(ours), sorted(theirs)
            assert ours == theirs, verb
        described = certpilot("describe", "certificate", "web", "-n", kube_namespace, *on_cluster).stdout
        assert "Ready" in described and "web-tls" in described

        renewed = certpilot("renew", "web", "-n", kube_namespace, *on_cluster)
        assert "Manually triggered issuance" in renewed.stdout
        await until(lambda: request_names(kube_store, kube_namespace, ["web-2"]), 60, "a second request")

        # A request for a signer certpilot does not approve on its own: approved by hand, then one
        # denied by hand.
        external = tmp_path / "external.yaml"
        certificate = manifests(kube_namespace)[1]
        certificate["spec"]["issuerRef"] = {"name": "ext", "kind": "ExtIssuer", "group": "example.com"}
        external.write_text(yaml.safe_dump(certificate))
        for name in ("by-hand", "refused"):
            certpilot(
                "create", "certificaterequest", name, "--from-certificate-file", str(external),
                "-n", kube_namespace, *on_cluster, cwd=tmp_path,
            )  # fmt: skip
        assert (tmp_path / "by-hand.key").stat().st_mode & 0o777 == 0o600
        certpilot("approve", "by-hand", "-n", kube_namespace, *on_cluster)
        certpilot("deny", "refused", "-n", kube_namespace, *on_cluster)
        approved = await kube_store.get(CertificateRequest, "by-hand", kube_namespace)
        denied = await kube_store.get(CertificateRequest, "refused", kube_namespace)
        assert condition(approved, "Approved") == "True"
        assert condition(denied, "Denied") == "True"

        certpilot("delete", "certificate", "web", "-n", kube_namespace, *on_cluster)
        gone = certpilot("get", "certificate", "web", "-n", kube_namespace, *on_cluster, check=False)
        assert gone.returncode == 1 and 'certificates.cert-manager.io "web" not found' in gone.stderr
    finally:
        standalone_daemon.terminate()
        standalone_daemon.wait(30)


async def request_names(store: KubernetesStore, namespace: str, wanted: list[str]) -> bool:
    requests, _ = await store.list(CertificateRequest, namespace=namespace)
    return set(wanted) <= {r.name for r in requests}


def condition(request: CertificateRequest, type_: str) -> str | None:
    found = get_condition(request.status.conditions if request.status else None, type_)
    return found.status if found else None
