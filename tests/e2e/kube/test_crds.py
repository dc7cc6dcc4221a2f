"""The generated CRDs on a real kube-apiserver: accepted, the examples valid under cert-manager's
CRDs are accepted by ours, and the CEL rules refuse what they should."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).parents[3]
CRDS = REPO_ROOT / "deploy" / "crds"
EXAMPLES = REPO_ROOT / "tests" / "unit" / "api" / "manifests" / "cert-manager-examples.yaml"


@pytest.fixture
def crds_namespace(certpilot_cluster: Any) -> Iterator[str]:
    """Our CRDs installed and established, and a namespace of this test's own (deleted after)."""
    kube_control_plane = certpilot_cluster
    namespace = f"crds-{uuid.uuid4().hex[:8]}"
    kube_control_plane.kubectl("create", "namespace", namespace)
    yield namespace
    kube_control_plane.kubectl("delete", "namespace", namespace, "--wait=false")


def _examples(namespace: str) -> list[dict[str, Any]]:
    documents = list(yaml.safe_load_all(EXAMPLES.read_text()))
    for document in documents:
        if "namespace" in document["metadata"]:
            document["metadata"]["namespace"] = namespace
        else:  # cluster-scoped: a name of this test's own
            document["metadata"]["name"] = f"{namespace}-{document['metadata']['name']}"
    return documents


def _refusal(kube: Any, document: dict[str, Any], *verb: str) -> str:
    """kubectl's error output for `verb` on `document`; fails the test when it is accepted."""
    result = kube.kubectl(*verb, "-f", "-", input=json.dumps(document), check=False)
    assert result.returncode != 0, f"accepted: {document['kind']} {document['metadata']['name']}"
    return str(result.stderr)


def test_examples_valid_under_cert_manager_crds_are_valid_under_ours(
    kube_control_plane: Any, crds_namespace: str
) -> None:
    for document in _examples(crds_namespace):
        kube_control_plane.kubectl("create", "--dry-run=server", "-f", "-", input=json.dumps(document))


def test_issuer_needs_exactly_one_type(kube_control_plane: Any, crds_namespace: str) -> None:
    issuer = next(d for d in _examples(crds_namespace) if d["metadata"]["name"] == "cm-venafi-tpp")
    two_types = {**issuer, "spec": {**issuer["spec"], "selfSigned": {}}}
    assert "exactly one of acme, ca, vault, selfSigned, or venafi" in _refusal(
        kube_control_plane, two_types, "create", "--dry-run=server"
    )
    none = {**issuer, "spec": {}}
    assert "exactly one of" in _refusal(kube_control_plane, none, "create", "--dry-run=server")


def test_venafi_needs_exactly_one_of_tpp_and_cloud(kube_control_plane: Any, crds_namespace: str) -> None:
    issuer = next(d for d in _examples(crds_namespace) if d["metadata"]["name"] == "cm-venafi-tpp")
    venafi = {**issuer["spec"]["venafi"], "cloud": {"apiTokenSecretRef": {"name": "token"}}}
    both = {**issuer, "spec": {"venafi": venafi}}
    assert "exactly one of tpp" in _refusal(kube_control_plane, both, "create", "--dry-run=server")


def test_certificate_request_spec_is_immutable(kube_control_plane: Any, crds_namespace: str) -> None:
    request = next(d for d in _examples(crds_namespace) if d["kind"] == "CertificateRequest")
    request = {key: value for key, value in request.items() if key != "status"}
    kube_control_plane.kubectl("create", "-f", "-", input=json.dumps(request))
    changed = {**request, "spec": {**request["spec"], "duration": "24h"}}
    assert "spec is immutable" in _refusal(kube_control_plane, changed, "replace")
    # Labels (metadata) may still change: only the spec is frozen.
    kube_control_plane.kubectl(
        "label", "certificaterequest", request["metadata"]["name"], "-n", crds_namespace, "checked=yes"
    )


def test_wrong_types_and_enums_are_refused(kube_control_plane: Any, crds_namespace: str) -> None:
    certificate = next(d for d in _examples(crds_namespace) if d["kind"] == "Certificate")
    bad = {**certificate, "spec": {**certificate["spec"], "privateKey": {"algorithm": "DSA"}, "duration": 5}}
    error = _refusal(kube_control_plane, bad, "create", "--dry-run=server")
    assert "spec.privateKey.algorithm" in error
    assert "spec.duration" in error


def test_challenge_spec_is_immutable(kube_control_plane: Any, crds_namespace: str) -> None:
    challenge = next(d for d in _examples(crds_namespace) if d["kind"] == "Challenge")
    challenge = {key: value for key, value in challenge.items() if key != "status"}
    kube_control_plane.kubectl("create", "-f", "-", input=json.dumps(challenge))
    changed = {**challenge, "spec": {**challenge["spec"], "token": "another-token"}}
    assert "spec is immutable" in _refusal(kube_control_plane, changed, "replace")


def test_order_request_and_urls_are_immutable_once_set(kube_control_plane: Any, crds_namespace: str) -> None:
    order = next(d for d in _examples(crds_namespace) if d["kind"] == "Order")
    order = {key: value for key, value in order.items() if key != "status"}
    name = order["metadata"]["name"]
    kube_control_plane.kubectl("create", "-f", "-", input=json.dumps(order))

    def patch_status(status: dict[str, Any], check: bool = True) -> Any:
        return kube_control_plane.kubectl(
            "patch",
            "order",
            name,
            "-n",
            crds_namespace,
            "--subresource=status",
            "--type=merge",
            "-p",
            json.dumps({"status": status}),
            check=check,
        )

    patch_status({"url": "https://acme.example.com/order/1", "state": "pending"})
    patch_status({"finalizeURL": "https://acme.example.com/order/1/finalize", "state": "ready"})
    moved = patch_status({"url": "https://acme.example.com/order/2"}, check=False)
    assert moved.returncode != 0
    assert "url is immutable once set" in str(moved.stderr)
    other_csr = {**order, "spec": {**order["spec"], "request": "b3RoZXI="}}
    assert "request is immutable once set" in _refusal(kube_control_plane, other_csr, "replace")
