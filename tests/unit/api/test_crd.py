"""Generated CRDs: structural schemas for every cert-manager kind, matching the fixtures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from certpilot.api.crd import crd_for, crd_kinds, main
from certpilot.api.loader import load_manifests, parse_yaml
from certpilot.api.meta import Resource
from tests.unit.api.api_manifests import manifest_text
from tests.unit.api.crd_reference import conformance_problems

KIND_NAMES = {"Certificate", "CertificateRequest", "Issuer", "ClusterIssuer", "Order", "Challenge"}
FIXTURES = [
    "certificate.yaml",
    "certificaterequest.yaml",
    "issuers.yaml",
    "clusterissuer.yaml",
    "order.yaml",
    "challenge.yaml",
]


def structural_problems(schema: dict[str, Any], path: str = "") -> list[str]:
    """Violations of Kubernetes' structural-schema rules (the subset our generator could break)."""
    problems: list[str] = []
    for keyword in ("$ref", "anyOf", "allOf", "oneOf", "not", "$defs", "nullable"):
        if keyword in schema:
            problems.append(f"{path or '<root>'}: uses {keyword}")
    untyped = schema.get("x-kubernetes-preserve-unknown-fields") or schema.get("x-kubernetes-int-or-string")
    if "type" not in schema and not untyped:
        problems.append(f"{path or '<root>'}: no type")
    if "properties" in schema and "additionalProperties" in schema:
        problems.append(f"{path}: properties and additionalProperties together")
    properties = schema.get("properties", {})
    problems += [
        f"{path}: required {r!r} is not a property" for r in schema.get("required", []) if r not in properties
    ]
    for name, child in properties.items():
        problems += structural_problems(child, f"{path}.{name}")
    if schema.get("type") == "array":
        problems += structural_problems(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        problems += structural_problems(schema["additionalProperties"], f"{path}{{}}")
    return problems


def test_every_cert_manager_kind_has_a_crd() -> None:
    assert {k.KIND for k in crd_kinds()} == KIND_NAMES


@pytest.mark.parametrize("model", crd_kinds(), ids=lambda m: m.KIND)
def test_schema_is_structural(model: type[Resource]) -> None:
    crd = crd_for(model)
    version = crd["spec"]["versions"][0]
    assert structural_problems(version["schema"]["openAPIV3Schema"]) == []
    assert version["subresources"] == {"status": {}}
    assert any(column["name"] == "Age" for column in version["additionalPrinterColumns"])
    group = model.API_VERSION.rpartition("/")[0]
    assert crd["metadata"]["name"] == f"{model.PLURAL}.{group}"
    assert crd["spec"]["scope"] == ("Namespaced" if model.NAMESPACED else "Cluster")


@pytest.mark.parametrize("name", FIXTURES)
def test_full_fixtures_conform_to_their_crd_schema(name: str) -> None:
    documents = [parse_yaml(part) for part in manifest_text(name).split("\n---\n")]
    for document, resource in zip(documents, load_manifests(manifest_text(name), name), strict=True):
        schema = crd_for(type(resource))["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        assert conformance_problems(document, schema) == []


def test_schema_rejects_what_the_model_rejects() -> None:
    schema = crd_for(next(k for k in crd_kinds() if k.KIND == "Certificate"))["spec"]["versions"][0]
    openapi = schema["schema"]["openAPIV3Schema"]
    bad = {
        "spec": {"secretName": "s", "issuerRef": {"name": "x"}, "privateKey": {"algorithm": "DSA", "sise": 1}}
    }
    problems = conformance_problems(bad, openapi)
    assert ".spec.privateKey.algorithm: 'DSA' not in enum" in problems
    assert ".spec.privateKey.sise: unknown field" in problems


def test_certificate_columns_match_cert_manager() -> None:
    model = next(k for k in crd_kinds() if k.KIND == "Certificate")
    columns = crd_for(model)["spec"]["versions"][0]["additionalPrinterColumns"]
    assert [c["name"] for c in columns] == ["Ready", "Secret", "Issuer", "Status", "Age"]
    assert crd_for(model)["spec"]["names"]["shortNames"] == ["cert", "certs"]


def test_main_writes_one_file_per_kind_and_matches_checked_in_crds(tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert len(written) == len(KIND_NAMES)
    checked_in = Path(__file__).parents[3] / "deploy" / "crds"
    for name in written:
        assert (tmp_path / name).read_text() == (checked_in / name).read_text(), (
            f"regenerate deploy/crds ({name})"
        )
