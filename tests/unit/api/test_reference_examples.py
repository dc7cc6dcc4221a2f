"""certpilot on a cluster that has cert-manager's own CRDs installed: objects valid under those CRDs
are read by certpilot's models (and its validation) and written back unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from certpilot.api.loader import load_document, parse_yaml
from tests.unit.api.api_manifests import manifest_text
from tests.unit.api.crd_reference import conformance_problems, openapi_schema, reference_crds

EXAMPLES = "cert-manager-examples.yaml"


def _examples() -> list[dict[str, Any]]:
    return [parse_yaml(part) for part in manifest_text(EXAMPLES).split("\n---\n")]


def _id(document: dict[str, Any]) -> str:
    return f"{document['kind']}/{document['metadata']['name']}"


@pytest.mark.parametrize("document", _examples(), ids=_id)
def test_example_is_valid_under_cert_manager_crds(document: dict[str, Any]) -> None:
    schema = openapi_schema(reference_crds()[document["kind"]])
    assert conformance_problems(document, schema) == []


@pytest.mark.parametrize("document", _examples(), ids=_id)
def test_example_round_trips_through_certpilot_models(document: dict[str, Any]) -> None:
    assert load_document(document, EXAMPLES, 0).to_dict() == document


def test_conformance_check_refuses_what_cert_manager_refuses() -> None:
    """The checker is not vacuous: a wrong type, an unknown field and a bad enum are each found."""
    certificate = next(d for d in _examples() if d["kind"] == "Certificate")
    spec = {**certificate["spec"], "renewBeforePercentage": "30", "dnsName": "x", "signatureAlgorithm": "MD5"}
    problems = conformance_problems(
        {**certificate, "spec": spec}, openapi_schema(reference_crds()["Certificate"])
    )
    assert problems == [
        ".spec.renewBeforePercentage: expected integer, got '30'",
        ".spec.signatureAlgorithm: 'MD5' not in enum",
        ".spec.dnsName: unknown field",
    ]
