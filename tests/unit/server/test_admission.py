"""admission.py as a table of AdmissionReviews and the answers cert-manager's webhook gives.

The SubjectAccessReview is answered by a recorded rule table (`RuleTable`): the real check is the
apiserver's, exercised in tests/e2e/kube/test_admission.py.
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from certpilot.api.loader import ManifestError, load_path
from certpilot.server.admission import (
    AdmissionRequest,
    AdmissionResponse,
    InvalidReview,
    SignerResource,
    UserInfo,
    mutate_admission,
    parse_review,
    signer_names,
    validate_admission,
)

ALICE = UserInfo(username="alice", uid="a-1", groups=("system:authenticated",), extra={"scope": ("x",)})


class RuleTable:
    """Answers may_approve from a set of (username, signer name) pairs and records every question."""

    def __init__(self, allowed: set[tuple[str, str]]) -> None:
        self.allowed = allowed
        self.asked: list[str] = []

    async def resource_for(self, group: str, kind: str) -> SignerResource | None:
        known = {
            ("cert-manager.io", "Issuer"): SignerResource("issuers", "cert-manager.io", True),
            ("cert-manager.io", "ClusterIssuer"): SignerResource("clusterissuers", "cert-manager.io", False),
        }
        return known.get((group, kind))

    async def may_approve(self, user: UserInfo, signer_name: str) -> bool:
        self.asked.append(signer_name)
        return (user.username, signer_name) in self.allowed


def csr_b64() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "web")]))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(csr.public_bytes(serialization.Encoding.PEM)).decode()


CERTIFICATE: dict[str, Any] = {
    "apiVersion": "cert-manager.io/v1",
    "kind": "Certificate",
    "metadata": {"name": "web", "namespace": "prod"},
    "spec": {"secretName": "web-tls", "dnsNames": ["web.example.com"], "issuerRef": {"name": "ca"}},
}
REQUEST: dict[str, Any] = {
    "apiVersion": "cert-manager.io/v1",
    "kind": "CertificateRequest",
    "metadata": {"name": "web-1", "namespace": "prod"},
    "spec": {
        "request": csr_b64(),
        "issuerRef": {"name": "ca", "kind": "Issuer", "group": "cert-manager.io"},
        "username": "alice",
        "uid": "a-1",
        "groups": ["system:authenticated"],
        "extra": {"scope": ["x"]},
    },
}


def review(
    obj: dict[str, Any] | None,
    *,
    operation: str = "CREATE",
    old: dict[str, Any] | None = None,
    sub_resource: str = "",
    user: UserInfo = ALICE,
) -> AdmissionRequest:
    plural = (obj or old or {}).get("kind", "").lower() + "s"
    return AdmissionRequest(
        uid="req-1",
        operation=operation,
        group="cert-manager.io",
        resource=plural,
        sub_resource=sub_resource,
        namespace="prod",
        object=obj,
        old_object=old,
        user=user,
    )


def changed(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of obj with the dotted path set to value."""
    result = copy.deepcopy(obj)
    *parents, last = path.split(".")
    node = result
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return result


def with_condition(obj: dict[str, Any], kind: str, status: str = "True") -> dict[str, Any]:
    conditions = [*obj.get("status", {}).get("conditions", []), {"type": kind, "status": status}]
    return changed(obj, "status", {"conditions": conditions})


async def validated(request: AdmissionRequest, rules: RuleTable | None = None) -> AdmissionResponse:
    return await validate_admission(request, rules or RuleTable(set()))


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (review(CERTIFICATE), None),
        (review(changed(CERTIFICATE, "spec.secretName", "")), "spec.secretName"),
        (
            review(changed(CERTIFICATE, "spec.privateKey", {"size": "2048"})),
            "spec.privateKey.size: expected integer",
        ),
        (review(changed(CERTIFICATE, "spec.bogus", 1)), "spec.bogus: unknown field"),
        (review(changed(CERTIFICATE, "spec.duration", "1h")), None),
        (review(REQUEST), None),
        (review(changed(REQUEST, "spec.request", "bm90IGEgQ1NS")), "spec.request"),
        (
            review(changed(REQUEST, "spec.username", "mallory")),
            "spec.username: username identity must be that of the requester",
        ),
        (
            review(changed(REQUEST, "spec.groups", [])),
            "spec.groups: groups identity must be that of the requester",
        ),
        (
            review(changed(REQUEST, "spec.extra", None)),
            "spec.extra: extra identity must be that of the requester",
        ),
        (
            review(changed(REQUEST, "spec.duration", "2h"), operation="UPDATE", old=REQUEST),
            "spec.duration: CertificateRequest spec is immutable once created",
        ),
        (review(changed(CERTIFICATE, "spec.secretName", "x"), operation="UPDATE", old=CERTIFICATE), None),
        (review(CERTIFICATE, operation="DELETE", old=CERTIFICATE), None),
    ],
    ids=[
        "valid-certificate",
        "certificate-without-secret",
        "string-key-size",
        "unknown-field",
        "duration",
        "valid-request",
        "request-not-a-csr",
        "identity-username",
        "identity-groups",
        "identity-extra",
        "request-spec-immutable",
        "certificate-spec-may-change",
        "delete-not-checked",
    ],
)
async def test_validation(request_: AdmissionRequest, message: str | None) -> None:
    response = await validated(request_)
    assert response.uid == "req-1"
    if message is None:
        assert response.allowed, response.message
    else:
        assert not response.allowed
        assert message in response.message
        assert response.to_review()["response"]["status"]["code"] == 422


async def test_refusal_is_the_text_certpilot_apply_prints(tmp_path: Path) -> None:
    bad = changed(CERTIFICATE, "spec.privateKey", {"algorithm": "DSA", "size": 99})
    manifest = tmp_path / "bad.json"
    manifest.write_text(json.dumps(bad))
    with pytest.raises(ManifestError) as refused:
        load_path(manifest)
    response = await validated(review(bad))
    assert not response.allowed
    expected = "; ".join(str(error) for error in refused.value.errors)
    assert response.message == expected
    assert expected in str(refused.value).replace("\n  - ", "; ").replace(":; ", ": ")


@pytest.mark.parametrize(
    ("old_conditions", "new_conditions", "allowed_pairs", "allowed", "asked"),
    [
        ([], ["Approved"], set(), False, ["issuers.cert-manager.io/*", "issuers.cert-manager.io/prod.ca"]),
        ([], ["Approved"], {("alice", "issuers.cert-manager.io/prod.ca")}, True, None),
        ([], ["Denied"], {("alice", "issuers.cert-manager.io/*")}, True, ["issuers.cert-manager.io/*"]),
        (["Approved"], ["Approved"], set(), True, []),
        (["Approved"], ["Approved", "Ready"], set(), True, []),
        (["Approved"], [], {("alice", "issuers.cert-manager.io/*")}, False, None),
        (["Approved"], ["Approved", "Denied"], {("alice", "issuers.cert-manager.io/*")}, False, None),
    ],
    ids=["no-permission", "named-issuer", "all-issuers", "unchanged", "other-condition", "removed", "both"],
)
async def test_approval(
    old_conditions: list[str],
    new_conditions: list[str],
    allowed_pairs: set[tuple[str, str]],
    allowed: bool,
    asked: list[str] | None,
) -> None:
    old, new = copy.deepcopy(REQUEST), copy.deepcopy(REQUEST)
    for kind in old_conditions:
        old = with_condition(old, kind)
    for kind in new_conditions:
        new = with_condition(new, kind)
    rules = RuleTable(allowed_pairs)
    response = await validated(review(new, operation="UPDATE", old=old, sub_resource="status"), rules)
    assert response.allowed is allowed, response.message
    if asked is not None:
        assert rules.asked == asked
    if not allowed and not rules.asked:
        assert "final" in response.message or "both Approved and Denied" in response.message
    if not allowed and rules.asked:
        assert response.message.startswith("status.conditions: user 'alice' does not have permissions")
        assert response.code == 403


async def test_approval_for_an_unknown_issuer_kind_is_refused() -> None:
    request = changed(REQUEST, "spec.issuerRef", {"name": "x", "kind": "Nope", "group": "example.com"})
    response = await validated(
        review(with_condition(request, "Approved"), operation="UPDATE", old=request, sub_resource="status")
    )
    assert not response.allowed
    assert response.message == "spec.issuerRef: referenced signer resource does not exist: Nope.example.com/x"


def test_signer_names_of_cluster_issuers_have_no_namespace() -> None:
    cluster = SignerResource("clusterissuers", "cert-manager.io", namespaced=False)
    assert signer_names(cluster, "root", "prod") == [
        "clusterissuers.cert-manager.io/*",
        "clusterissuers.cert-manager.io/root",
    ]


def decoded_patch(response: AdmissionResponse) -> list[dict[str, Any]]:
    body = response.to_review()["response"]
    if "patch" not in body:
        return []
    assert body["patchType"] == "JSONPatch"
    result: list[dict[str, Any]] = json.loads(base64.b64decode(body["patch"]))
    return result


@pytest.mark.parametrize(
    ("request_", "patch"),
    [
        (
            review(CERTIFICATE),
            [
                {"op": "add", "path": "/spec/issuerRef/kind", "value": "Issuer"},
                {"op": "add", "path": "/spec/issuerRef/group", "value": "cert-manager.io"},
            ],
        ),
        (
            review(
                changed(CERTIFICATE, "spec.issuerRef", {"name": "r", "kind": "ClusterIssuer", "group": "g"})
            ),
            [],
        ),
        (review(CERTIFICATE, sub_resource="status", operation="UPDATE", old=CERTIFICATE), []),
        (
            review(changed(REQUEST, "spec.username", "mallory"), user=UserInfo("bob", "b-2", ("devs",))),
            [
                {"op": "add", "path": "/spec/username", "value": "bob"},
                {"op": "add", "path": "/spec/uid", "value": "b-2"},
                {"op": "add", "path": "/spec/groups", "value": ["devs"]},
                {"op": "remove", "path": "/spec/extra"},
            ],
        ),
        (review(REQUEST, operation="UPDATE", old=REQUEST), []),
    ],
    ids=["certificate-issuer-ref", "explicit-issuer-ref", "status", "request-identity", "request-update"],
)
def test_mutation(request_: AdmissionRequest, patch: list[dict[str, Any]]) -> None:
    response = mutate_admission(request_)
    assert response.allowed
    assert decoded_patch(response) == patch


def test_mutation_leaves_other_groups_alone() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "spec": {}}
    request = AdmissionRequest("u", "CREATE", "", "secrets", "", "prod", secret, None, ALICE)
    assert decoded_patch(mutate_admission(request)) == []


def test_parse_review_reads_user_info() -> None:
    body = {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "u-1",
            "operation": "UPDATE",
            "resource": {"group": "cert-manager.io", "version": "v1", "resource": "certificaterequests"},
            "subResource": "status",
            "namespace": "prod",
            "object": REQUEST,
            "oldObject": REQUEST,
            "userInfo": {"username": "alice", "uid": "a-1", "groups": ["g"], "extra": {"k": ["v"]}},
        },
    }
    request = parse_review(body)
    assert request.user == UserInfo("alice", "a-1", ("g",), {"k": ("v",)})
    assert (request.resource, request.sub_resource, request.operation) == (
        "certificaterequests",
        "status",
        "UPDATE",
    )


@pytest.mark.parametrize(
    "body",
    [
        None,
        {},
        {"apiVersion": "admission.k8s.io/v1beta1", "request": {"uid": "x"}},
        {"apiVersion": "admission.k8s.io/v1"},
    ],
)
def test_parse_review_refuses_other_bodies(body: Any) -> None:
    with pytest.raises(InvalidReview):
        parse_review(body)


# A stored request certpilot's model cannot read (written before the webhook, or by a newer
# cert-manager): the update rules and the approval check still hold for it.
UNPARSEABLE = changed(REQUEST, "spec.futureField", "x")


async def test_unparseable_stored_request_is_still_immutable() -> None:
    fixed = copy.deepcopy(UNPARSEABLE)
    del fixed["spec"]["futureField"]
    response = await validated(review(fixed, operation="UPDATE", old=UNPARSEABLE))
    assert not response.allowed
    assert response.message == "spec.futureField: CertificateRequest spec is immutable once created"


async def test_unparseable_stored_request_still_needs_permission_to_approve() -> None:
    unreadable_status = changed(REQUEST, "status", {"futureStatus": 1})
    rules = RuleTable(set())
    response = await validated(
        review(
            with_condition(REQUEST, "Approved"),
            operation="UPDATE",
            old=unreadable_status,
            sub_resource="status",
        ),
        rules,
    )
    assert not response.allowed
    assert "does not have permissions" in response.message
    assert rules.asked == ["issuers.cert-manager.io/*", "issuers.cert-manager.io/prod.ca"]


async def test_unparseable_stored_request_keeps_its_approval() -> None:
    approved = with_condition(UNPARSEABLE, "Approved")
    withdrawn = copy.deepcopy(REQUEST)
    response = await validated(review(withdrawn, operation="UPDATE", old=approved, sub_resource="status"))
    assert not response.allowed
    assert "the Approved condition is final" in response.message
