"""Loading manifests from text, files, directories and stdin."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from certpilot.api.certificate import Certificate
from certpilot.api.issuer import ClusterIssuer, Issuer
from certpilot.api.loader import ManifestError, load_manifests, load_path

ISSUER = (
    "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata:\n  name: {name}\nspec:\n  selfSigned: {{}}\n"
)


def test_empty_documents_are_skipped_but_counted(tmp_path: Path) -> None:
    text = "---\n# only a comment\n---\n" + ISSUER.format(name="a") + "---\n---\n" + ISSUER.format(name="B")
    with pytest.raises(ManifestError) as caught:
        load_manifests(text, "x.yaml")
    assert str(caught.value).startswith("x.yaml: document 4 (Issuer/B): metadata.name: ")
    assert [r.name for r in load_manifests(text.replace("name: B", "name: b"), "x.yaml")] == ["a", "b"]


def test_directory_loads_yaml_yml_and_json_in_name_order(tmp_path: Path) -> None:
    (tmp_path / "b.yml").write_text(ISSUER.format(name="b"))
    (tmp_path / "a.yaml").write_text(ISSUER.format(name="a"))
    (tmp_path / "c.json").write_text(
        json.dumps({"apiVersion": "cert-manager.io/v1", "kind": "ClusterIssuer", "metadata": {"name": "c"},
                    "spec": {"ca": {"secretName": "root"}}})
    )  # fmt: skip
    (tmp_path / "notes.txt").write_text("not a manifest")
    resources = load_path(tmp_path)
    assert [(type(r), r.name) for r in resources] == [(Issuer, "a"), (Issuer, "b"), (ClusterIssuer, "c")]
    assert resources[0].metadata.namespace == "default"


def test_list_wrapper_is_expanded() -> None:
    text = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "List",
            "items": [
                {
                    "apiVersion": "cert-manager.io/v1",
                    "kind": "Issuer",
                    "metadata": {"name": n},
                    "spec": {"selfSigned": {}},
                }
                for n in ("one", "two")
            ],
        }
    )
    assert [r.name for r in load_manifests(text, "list.json")] == ["one", "two"]


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(ISSUER.format(name="from-stdin")))
    assert [r.name for r in load_path("-")] == ["from-stdin"]


def test_stdin_errors_name_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(ISSUER.format(name="x") + "  bogus: 1\n"))
    with pytest.raises(ManifestError, match=r"^<stdin>: document 1 \(Issuer/x\): spec.bogus: unknown field$"):
        load_path("-")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: [1, 2\n", "document 1: : invalid YAML at line 2"),
        (ISSUER.format(name="a") + "---\nkey: [unclosed\n", "document 2: : invalid YAML"),
        ("- just\n- a list of strings\n", "expected a mapping with apiVersion and kind"),
        ("kind: Issuer\nmetadata: {name: a}\n", "document 1 (Issuer/a): apiVersion: must be set"),
        (
            "apiVersion: nope/v9\nkind: Issuer\nmetadata: {name: a}\n",
            "kind: unknown kind 'Issuer' in apiVersion",
        ),
        ('{"kind": ', "invalid JSON at line 1"),
    ],
)
def test_malformed_documents(text: str, expected: str) -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifests(text, "bad.yaml")
    assert str(caught.value).startswith("bad.yaml: ")
    assert expected in str(caught.value)


def test_missing_file_is_a_manifest_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read file"):
        load_path(tmp_path / "absent.yaml")


def test_timestamps_stay_strings_and_round_trip() -> None:
    text = (
        "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: t\n"
        "  creationTimestamp: 2025-01-31T12:00:00Z\n"
        "spec:\n  secretName: t\n  issuerRef: {name: ca}\n  commonName: t\n"
    )
    cert = load_manifests(text, "t.yaml")[0]
    assert isinstance(cert, Certificate)
    assert cert.to_dict()["metadata"]["creationTimestamp"] == "2025-01-31T12:00:00Z"
