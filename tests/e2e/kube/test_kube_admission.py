"""The admission webhook on a real kube-apiserver: `certpilot install --webhook-url` registers a
webhook served in-process on 127.0.0.1, and kubectl's writes go through it.

The CA Secret is created by the webhook in a SQLite store and copied to the cluster, so that
`install` finds it there and puts that CA in the caBundle (the Kubernetes store is not needed).
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import socket
import ssl
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lightkube import AsyncClient, KubeConfig
from typer.testing import CliRunner

from certpilot.api.certificate import Certificate
from certpilot.api.core import Secret
from certpilot.api.crd import crd_for
from certpilot.cli.main import app
from certpilot.server.access_review import SubjectAccessReviews
from certpilot.server.webhook import WebhookConfig, WebhookServer
from certpilot.store.sqlite import SQLiteStore
from tests.e2e.kube.kube_harness import leaf_certificate

pytestmark = [pytest.mark.peers, pytest.mark.slow]

CA_SECRET = "certpilot-webhook-ca"


@dataclass
class Cluster:
    kube: Any  # the suite's kube_control_plane
    namespace: str
    webhook: WebhookServer
    tmp: Path

    async def kubectl(
        self, *args: str, input: str | None = None, check: bool = True, user: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        # In a thread: the apiserver calls the webhook on this event loop while kubectl waits.
        return await asyncio.to_thread(self.kube.kubectl, *args, input=input, check=check, user=user)

    async def apply(self, obj: dict[str, Any], user: str | None = None) -> subprocess.CompletedProcess[str]:
        return await self.kubectl("apply", "-f", "-", input=json.dumps(obj), check=False, user=user)

    async def get(self, resource: str, name: str) -> dict[str, Any]:
        result = await self.kubectl("get", resource, name, "-n", self.namespace, "-o", "json")
        loaded: dict[str, Any] = json.loads(result.stdout)
        return loaded


@pytest.fixture
def kube(request: pytest.FixtureRequest) -> Any:
    try:
        return request.getfixturevalue("kube_control_plane")
    except pytest.FixtureLookupError:
        pytest.skip(
            "no kube_control_plane fixture in this tree (tests/kube_fixtures.py): no apiserver to test on"
        )


@pytest.fixture
async def cluster(kube: Any, tmp_path: Path) -> AsyncIterator[Cluster]:
    namespace = f"wh-{secrets.token_hex(3)}"
    store = SQLiteStore(tmp_path / "webhook.db")
    client = AsyncClient(config=KubeConfig.from_file(kube.kubeconfig))
    config = WebhookConfig("127.0.0.1:0", ("127.0.0.1",), namespace, CA_SECRET)
    webhook = WebhookServer(store, SubjectAccessReviews(client), config)
    await webhook.start()
    result = Cluster(kube, namespace, webhook, tmp_path)
    try:
        await result.kubectl("create", "namespace", namespace)
        ca = (await store.get(Secret, CA_SECRET, namespace)).to_dict()
        ca["metadata"] = {"name": CA_SECRET, "namespace": namespace}
        await result.kubectl("apply", "-f", "-", input=json.dumps(ca))
        installed = await asyncio.to_thread(
            CliRunner().invoke,
            app,
            [
                "install",
                "--kubeconfig",
                str(kube.kubeconfig),
                "--webhook-url",
                f"https://127.0.0.1:{webhook.port}",
                "--webhook-ca-secret",
                f"{namespace}/{CA_SECRET}",
            ],
        )
        assert installed.exit_code == 0, installed.output
        assert (
            "validatingwebhookconfiguration.admissionregistration.k8s.io/cert-manager-webhook"
            in installed.output
        )
        yield result
    finally:
        # A registered webhook that no longer answers would refuse every later write (failurePolicy Fail).
        await result.kubectl(
            "delete",
            "validatingwebhookconfiguration,mutatingwebhookconfiguration",
            "cert-manager-webhook",
            "--ignore-not-found",
            check=False,
        )
        await result.kubectl("delete", "namespace", namespace, "--wait=false", check=False)
        await webhook.stop()
        await store.close()


def certificate(namespace: str, name: str, **spec: Any) -> dict[str, Any]:
    return leaf_certificate(namespace, name, "ca", **spec)


def certificate_request(namespace: str, name: str) -> dict[str, Any]:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .sign(key, hashes.SHA256())
    )
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "CertificateRequest",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "request": base64.b64encode(csr.public_bytes(serialization.Encoding.PEM)).decode(),
            "issuerRef": {"name": "ca", "kind": "Issuer", "group": "cert-manager.io"},
        },
    }


def approved_patch(kind: str = "Approved") -> str:
    condition = {
        "type": kind,
        "status": "True",
        "reason": "Test",
        "message": "set by a test",
        "lastTransitionTime": "2026-01-01T00:00:00Z",
    }
    return json.dumps({"status": {"conditions": [condition]}})


def bad_issuer(namespace: str) -> dict[str, Any]:
    spec = {"ca": {"secretName": "Not_A_Name"}}
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Issuer",
        "metadata": {"name": "bad", "namespace": namespace},
        "spec": spec,
    }


@pytest.mark.parametrize(
    ("kind", "field"), [("Certificate", "spec.revisionHistoryLimit"), ("Issuer", "spec.ca.secretName")]
)
async def test_invalid_object_is_refused_with_certpilot_apply_message(
    cluster: Cluster, kind: str, field: str
) -> None:
    if kind == "Certificate":
        bad = certificate(
            cluster.namespace, "bad", nameConstraints={"critical": True}, revisionHistoryLimit=0
        )
    else:
        bad = bad_issuer(cluster.namespace)
    manifest = cluster.tmp / "bad.yaml"
    manifest.write_text(json.dumps(bad))
    store = str(cluster.tmp / "cli.db")
    applied = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "certpilot.cli", "apply", "--store", store, "-f", str(manifest)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert applied.returncode != 0
    problems = applied.stderr.split(f"({kind}/bad):", 1)[1].strip()
    problems = "; ".join(line.strip().removeprefix("- ") for line in problems.splitlines() if line.strip())
    assert field in problems

    refused = await cluster.kubectl("apply", "-f", str(manifest), check=False)
    assert refused.returncode != 0
    assert 'admission webhook "webhook.cert-manager.io" denied the request' in refused.stderr
    assert problems in refused.stderr


async def test_valid_certificate_is_accepted_and_defaulted(cluster: Cluster) -> None:
    accepted = await cluster.apply(certificate(cluster.namespace, "web"))
    assert accepted.returncode == 0, accepted.stderr
    stored = await cluster.get("certificate", "web")
    assert stored["spec"]["issuerRef"] == {"name": "ca", "kind": "Issuer", "group": "cert-manager.io"}


async def test_certificate_request_records_its_requester_and_its_spec_is_immutable(cluster: Cluster) -> None:
    created = await cluster.apply(certificate_request(cluster.namespace, "req"))
    assert created.returncode == 0, created.stderr
    stored = await cluster.get("certificaterequest", "req")
    assert stored["spec"]["username"]  # the admin, as the apiserver authenticated it
    assert "system:authenticated" in stored["spec"]["groups"]

    changed = await cluster.kubectl(
        "patch", "certificaterequest", "req", "-n", cluster.namespace, "--type=merge",
        "-p", json.dumps({"spec": {"duration": "2h"}}), check=False,
    )  # fmt: skip
    assert changed.returncode != 0
    # The CRD's CEL rule refuses it before the webhook would (both say so; whichever runs first).
    assert "spec is immutable once created" in changed.stderr


async def let_alice_request(cluster: Cluster) -> None:
    """alice may create and update CertificateRequests and their status in the test's namespace,
    and nothing else (no `approve` on signers)."""
    ns = cluster.namespace
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "requester", "namespace": ns},
        "rules": [
            {
                "apiGroups": ["cert-manager.io"],
                "resources": ["certificaterequests", "certificaterequests/status"],
                "verbs": ["create", "update", "patch", "get"],
            }
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "alice-requester", "namespace": ns},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "requester"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}],
    }
    for obj in (role, binding):
        assert (await cluster.apply(obj)).returncode == 0


async def test_only_a_user_allowed_to_approve_signers_may_approve(cluster: Cluster) -> None:
    ns = cluster.namespace
    await let_alice_request(cluster)
    created = await cluster.kubectl(
        "create", "-f", "-", input=json.dumps(certificate_request(ns, "alices")), user="alice"
    )
    assert created.returncode == 0
    stored = await cluster.get("certificaterequest", "alices")
    assert stored["spec"]["username"] == "alice"

    patch = ["patch", "certificaterequest", "alices", "-n", ns, "--subresource=status", "--type=merge", "-p"]
    refused = await cluster.kubectl(*patch, approved_patch(), check=False, user="alice")
    assert refused.returncode != 0
    assert "user 'alice' does not have permissions to set approved/denied conditions" in refused.stderr

    approved = await cluster.kubectl(*patch, approved_patch(), check=False)
    assert approved.returncode == 0, approved.stderr
    conditions = (await cluster.get("certificaterequest", "alices"))["status"]["conditions"]
    assert [c["type"] for c in conditions] == ["Approved"]

    withdrawn = await cluster.kubectl(*patch, json.dumps({"status": {"conditions": []}}), check=False)
    assert withdrawn.returncode != 0
    assert "the Approved condition is final" in withdrawn.stderr


def served_serial(port: int, ca_pem: bytes) -> int:
    context = ssl.create_default_context(cadata=ca_pem.decode())
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der).serial_number


async def test_rotated_serving_certificate_is_still_trusted_by_the_apiserver(cluster: Cluster) -> None:
    before = cluster.webhook.serving.certificate.serial_number
    ca_pem = cluster.webhook.ca.certificate_pem
    assert await asyncio.to_thread(served_serial, cluster.webhook.port, ca_pem) == before

    assert await cluster.webhook.rotate(force=True)
    after = cluster.webhook.serving.certificate.serial_number
    assert after != before
    assert cluster.webhook.ca.certificate_pem == ca_pem
    assert await asyncio.to_thread(served_serial, cluster.webhook.port, ca_pem) == after

    accepted = await cluster.apply(certificate(cluster.namespace, "after-rotation"))
    assert accepted.returncode == 0, accepted.stderr
    refused = await cluster.apply(
        certificate(cluster.namespace, "bad-after-rotation", revisionHistoryLimit=0)
    )
    assert "spec.revisionHistoryLimit" in refused.stderr


async def install(cluster: Cluster) -> str:
    result = await asyncio.to_thread(
        CliRunner().invoke,
        app,
        [
            "install",
            "--kubeconfig",
            str(cluster.kube.kubeconfig),
            "--webhook-url",
            f"https://127.0.0.1:{cluster.webhook.port}",
            "--webhook-ca-secret",
            f"{cluster.namespace}/{CA_SECRET}",
        ],
    )
    assert result.exit_code == 0, result.output
    return result.output


async def test_install_takes_over_crds_another_tool_applied(cluster: Cluster) -> None:
    """As on a cluster where cert-manager's CRDs were applied with kubectl: certpilot takes the
    fields it declares over, and stored objects stay."""
    assert (await cluster.apply(certificate(cluster.namespace, "kept"))).returncode == 0
    foreign = crd_for(Certificate)
    foreign["metadata"]["annotations"] = {"controller-gen.kubebuilder.io/version": "v0.21.0"}
    foreign["metadata"]["labels"] = {"app.kubernetes.io/name": "cert-manager"}
    applied = await cluster.kubectl(
        "apply",
        "--force-conflicts",
        "--server-side",
        "--field-manager=helm",
        "-f",
        "-",
        input=json.dumps(foreign),
    )
    assert applied.returncode == 0

    await install(cluster)

    crd = json.loads(
        (
            await cluster.kubectl(
                "get", "crd", "certificates.cert-manager.io", "-o", "json", "--show-managed-fields"
            )
        ).stdout
    )
    managers = {entry["manager"]: entry["operation"] for entry in crd["metadata"]["managedFields"]}
    assert managers["certpilot"] == "Apply"
    assert crd["metadata"]["labels"]["app.kubernetes.io/name"] == "certpilot"
    assert any(c["type"] == "Established" and c["status"] == "True" for c in crd["status"]["conditions"])
    assert (await cluster.get("certificate", "kept"))["spec"]["secretName"] == "kept-tls"


async def test_install_replaces_cert_managers_webhook_configuration(cluster: Cluster) -> None:
    await cluster.kubectl("delete", "validatingwebhookconfiguration", "cert-manager-webhook")
    theirs = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "cert-manager-webhook"},
        "webhooks": [
            {
                "name": "webhook.cert-manager.io",
                "clientConfig": {
                    "service": {
                        "name": "cert-manager-webhook",
                        "namespace": "cert-manager",
                        "path": "/validate",
                    }
                },
                "rules": [
                    {
                        "apiGroups": ["cert-manager.io"],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE"],
                        "resources": ["*/*"],
                    }
                ],
                "failurePolicy": "Ignore",
                "sideEffects": "None",
                "admissionReviewVersions": ["v1"],
            }
        ],
    }
    assert (await cluster.apply(theirs)).returncode == 0

    await install(cluster)

    ours = json.loads(
        (
            await cluster.kubectl(
                "get", "validatingwebhookconfiguration", "cert-manager-webhook", "-o", "json"
            )
        ).stdout
    )
    client_config = ours["webhooks"][0]["clientConfig"]
    assert "service" not in client_config
    assert client_config["url"] == f"https://127.0.0.1:{cluster.webhook.port}/validate"
    assert ours["webhooks"][0]["failurePolicy"] == "Fail"
    refused = await cluster.apply(
        certificate(cluster.namespace, "bad-after-takeover", revisionHistoryLimit=0)
    )
    assert "spec.revisionHistoryLimit" in refused.stderr


async def test_approval_of_an_external_issuers_request_uses_its_resource_name(cluster: Cluster) -> None:
    """An issuer kind outside cert-manager.io is found among the CRDs; alice is allowed `approve`
    on exactly `myissuers.example.com/<namespace>.ext`."""
    ns = cluster.namespace
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "myissuers.example.com"},
        "spec": {
            "group": "example.com",
            "names": {
                "kind": "MyIssuer",
                "plural": "myissuers",
                "singular": "myissuer",
                "listKind": "MyIssuerList",
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                }
            ],
        },
    }
    approver = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": f"{ns}-approve-ext"},
        "rules": [
            {
                "apiGroups": ["cert-manager.io"],
                "resources": ["signers"],
                "verbs": ["approve"],
                "resourceNames": [f"myissuers.example.com/{ns}.ext"],
            }
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": f"{ns}-alice-approves-ext"},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": f"{ns}-approve-ext",
        },
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}],
    }
    for obj in (crd, approver, binding):
        assert (await cluster.apply(obj)).returncode == 0
    await let_alice_request(cluster)
    try:
        for name, issuer in (("for-ext", "ext"), ("for-other", "other")):
            request = certificate_request(ns, name)
            request["spec"]["issuerRef"] = {"name": issuer, "kind": "MyIssuer", "group": "example.com"}
            created = await cluster.kubectl("create", "-f", "-", input=json.dumps(request), user="alice")
            assert created.returncode == 0

        patch = ["--subresource=status", "--type=merge", "-p", approved_patch()]
        approved = await cluster.kubectl(
            "patch", "certificaterequest", "for-ext", "-n", ns, *patch, check=False, user="alice"
        )
        assert approved.returncode == 0, approved.stderr
        refused = await cluster.kubectl(
            "patch", "certificaterequest", "for-other", "-n", ns, *patch, check=False, user="alice"
        )
        assert refused.returncode != 0
        assert "for issuer MyIssuer.example.com/other" in refused.stderr
    finally:
        await cluster.kubectl(
            "delete",
            f"clusterrolebinding/{ns}-alice-approves-ext",
            f"clusterrole/{ns}-approve-ext",
            "crd/myissuers.example.com",
            "--wait=false",
            check=False,
        )
