"""apply / get / describe / delete through the real command and a real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.e2e.cli.cli_harness import API_MANIFESTS, QUICKSTART, Cli

CERT = """\
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: web
  namespace: default
  labels: {team: a}
spec:
  secretName: web-tls
  dnsNames: [web.example.test]
  issuerRef: {name: ca}
"""


def test_apply_reports_created_then_unchanged_then_configured(cli: Cli, tmp_path: Path) -> None:
    manifest = tmp_path / "cert.yaml"
    manifest.write_text(CERT)
    assert cli("apply", "-f", str(manifest)).stdout == "certificate.cert-manager.io/web created\n"
    assert cli("apply", "-f", str(manifest)).stdout == "certificate.cert-manager.io/web unchanged\n"
    manifest.write_text(CERT.replace("web.example.test]", "web.example.test, www.example.test]"))
    assert cli("apply", "-f", str(manifest)).stdout == "certificate.cert-manager.io/web configured\n"
    (stored,) = cli.items("certificate")
    assert stored["spec"]["dnsNames"] == ["web.example.test", "www.example.test"]
    assert stored["metadata"]["generation"] == 2


def test_apply_reads_stdin_and_directories(cli: Cli) -> None:
    out = cli("apply", "-f", "-", input=CERT).stdout
    assert "created" in out
    out = cli("apply", "-f", str(QUICKSTART)).stdout.splitlines()
    assert "issuer.cert-manager.io/selfsigned created" in out
    assert "secret/keystore-password created" in out
    assert len(cli.items("cert")) == 6


@pytest.mark.parametrize(
    "manifest",
    [
        "certificate.yaml",
        "issuers.yaml",
        "clusterissuer.yaml",
        "certificaterequest.yaml",
        "order.yaml",
        "challenge.yaml",
    ],
)
def test_every_field_round_trips_through_get_yaml(cli: Cli, manifest: str) -> None:
    """A manifest setting every field comes back from `get -o yaml` with nothing lost or renamed."""
    source = [d for d in yaml.safe_load_all((API_MANIFESTS / manifest).read_text()) if d]
    for doc in source:
        # The fixtures' owners do not exist here, and an object whose owners are all gone is
        # garbage-collected at once (as in Kubernetes).
        doc["metadata"].pop("ownerReferences", None)
    cli("apply", "-f", "-", input=yaml.safe_dump_all(source))
    for doc in source:
        ns = doc["metadata"].get("namespace", "default")
        args = ["get", doc["kind"], doc["metadata"]["name"], "-o", "yaml"]
        if doc["kind"] != "ClusterIssuer":
            args += ["-n", ns]
        back = yaml.safe_load(cli(*args).stdout)
        for section in ("spec", "data", "type"):
            assert back.get(section) == doc.get(section), f"{doc['kind']} {section} changed"
        for key in ("labels", "annotations"):
            assert back["metadata"].get(key) == doc["metadata"].get(key)


INVALID = [
    ("spec:\n  secretName: x\n  issuerRef: {name: ca}\n", "spec", "dnsNames"),
    (
        "spec:\n  secretName: x\n  dnsNames: [a.test]\n  issuerRef: {name: ca}\n"
        "  privateKey: {algorithm: ECDSA, size: 255}\n",
        "spec.privateKey.size",
        "",
    ),
    (
        "spec:\n  secretName: x\n  dnsNames: [a.test]\n  issuerRef: {name: ca}\n  duration: 10m\n",
        "spec.duration",
        "",
    ),
    (
        "spec:\n  secretName: x\n  dnsNames: [a.test]\n  issuerRef: {name: ca}\n  colour: blue\n",
        "spec.colour",
        "",
    ),
    (
        "spec:\n  secretName: x\n  dnsNames: [a.test]\n  issuerRef: {name: ca}\n  usages: [flying]\n",
        "spec.usages",
        "",
    ),
]


@pytest.mark.parametrize(("body", "field", "hint"), INVALID)
def test_invalid_manifest_exits_1_naming_the_field_and_changes_nothing(
    cli: Cli, tmp_path: Path, body: str, field: str, hint: str
) -> None:
    cli("apply", "-f", "-", input=CERT)
    before = cli("get", "cert", "-A", "-o", "json").stdout
    bad = tmp_path / "bad.yaml"
    # The bad document comes second: the first, valid one must not be written either.
    bad.write_text(
        CERT.replace("name: web", "name: other") + "---\napiVersion: cert-manager.io/v1\n"
        "kind: Certificate\nmetadata: {name: broken}\n" + body
    )
    result = cli("apply", "-f", str(bad), check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert str(bad) in result.stderr
    assert field in result.stderr
    assert hint in result.stderr
    assert "Traceback" not in result.stderr
    assert cli("get", "cert", "-A", "-o", "json").stdout == before


def test_immutable_certificaterequest_spec_is_refused(cli: Cli, tmp_path: Path) -> None:
    cli("apply", "-f", str(API_MANIFESTS / "certificaterequest.yaml"))
    doc = next(d for d in yaml.safe_load_all((API_MANIFESTS / "certificaterequest.yaml").read_text()) if d)
    doc["spec"]["duration"] = "48h"
    changed = tmp_path / "cr.yaml"
    changed.write_text(yaml.safe_dump(doc))
    result = cli("apply", "-f", str(changed), check=False)
    assert result.returncode == 1
    assert "immutable" in result.stderr
    assert cli.items("cr")[0]["spec"].get("duration") != "48h"


def test_get_short_names_selectors_and_not_found(cli: Cli) -> None:
    cli("apply", "-f", "-", input=CERT)
    cli("apply", "-f", "-", input=CERT.replace("name: web", "name: api").replace("team: a", "team: b"))
    table = cli("get", "certs").stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "SECRET", "AGE"]
    assert [line.split()[0] for line in table[1:]] == ["api", "web"]
    assert "NAMESPACE" in cli("get", "certificates.cert-manager.io", "-A").stdout
    assert [i["metadata"]["name"] for i in cli.items("cert", "-l", "team=b")] == ["api"]
    assert [i["metadata"]["name"] for i in cli.items("cert", "-l", "team!=b")] == ["web"]
    assert "ISSUER" in cli("get", "cert", "-o", "wide").stdout
    missing = cli("get", "cert", "nope", check=False)
    assert missing.returncode == 1 and '"nope" not found' in missing.stderr
    unknown = cli("get", "widgets", check=False)
    assert unknown.returncode == 1 and "unknown resource type 'widgets'" in unknown.stderr
    assert json.loads(cli("get", "cert", "web", "-o", "json").stdout)["metadata"]["labels"] == {"team": "a"}


def test_describe_and_delete(cli: Cli) -> None:
    cli("apply", "-f", "-", input=CERT)
    described = cli("describe", "certificate", "web").stdout
    assert "Name:         web" in described
    assert "web.example.test" in described
    assert "Events:  <none>" in described
    assert cli("delete", "cert", "web").stdout == 'certificate.cert-manager.io "web" deleted\n'
    assert cli.items("cert") == []
    again = cli("delete", "cert", "web", check=False)
    assert again.returncode == 1


def test_secret_values_never_printed_by_describe(cli: Cli) -> None:
    cli(
        "apply",
        "-f",
        "-",
        input="apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {token: hunter2-very-secret}\n",
    )
    assert "hunter2" not in cli("describe", "secret", "s").stdout
