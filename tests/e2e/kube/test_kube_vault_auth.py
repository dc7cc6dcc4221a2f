"""The Vault issuer's Kubernetes auth on the real control plane, against OpenBao's kubernetes auth
method, which checks every login's token with a TokenReview on the same API server: a bound token
requested through the TokenRequest API (serviceAccountRef, with cert-manager's audiences), and a
token kept in a Secret (secretRef)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from certpilot.api.conditions import get_condition
from certpilot.api.core import Secret
from certpilot.api.issuer import ClusterIssuer, Issuer
from certpilot.store.kube_connection import load_connection
from certpilot.store.kubernetes import KubernetesStore
from certpilot.testing.peers.openbao import OpenBaoNotInstalled, OpenBaoServer, PKIMount, bao_binary
from tests.e2e.kube.kube_harness import DaemonFactory, apply, openssl_verify, wait_for, wait_ready

ROLE = "certpilot"


@pytest.fixture(scope="module")
def openbao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenBaoServer]:
    try:
        bao_binary()
    except OpenBaoNotInstalled as error:
        pytest.skip(str(error))
    with OpenBaoServer(tmp_path_factory.mktemp("openbao")) as server:
        yield server


@pytest.fixture
def reviewer_binding(cluster: Any, kube_namespace: str) -> Iterator[str]:
    """A service account allowed to call TokenReview (system:auth-delegator), as Vault's docs set up."""
    binding = f"{kube_namespace}-bao-token-reviewer"
    cluster.kubectl("create", "serviceaccount", "bao-reviewer", "-n", kube_namespace)
    cluster.kubectl(
        "create",
        "clusterrolebinding",
        binding,
        "--clusterrole=system:auth-delegator",
        f"--serviceaccount={kube_namespace}:bao-reviewer",
    )
    yield "bao-reviewer"
    cluster.kubectl("delete", "clusterrolebinding", binding, "--ignore-not-found", check=False)


def kubectl_token(cluster: Any, namespace: str, account: str, *audiences: str) -> str:
    flags = [f"--audience={a}" for a in audiences]
    token: str = cluster.kubectl("create", "token", account, "-n", namespace, "--duration=1h", *flags).stdout
    return token.strip()


def vault_issuer(
    name: str, namespace: str, server: OpenBaoServer, pki: PKIMount, kubernetes: dict[str, Any]
) -> dict[str, Any]:
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Issuer",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"vault": {"server": server.url, "path": pki.sign_path, "auth": {"kubernetes": kubernetes}}},
    }


def ready_message(issuer: Issuer | ClusterIssuer) -> tuple[str, str]:
    condition = get_condition(issuer.status.conditions if issuer.status else None, "Ready")
    return (condition.status, condition.message or "") if condition else ("", "")


async def test_vault_kubernetes_auth_with_a_bound_token_and_with_a_token_secret(
    cluster: Any,
    kube_namespace: str,
    kube_store: KubernetesStore,
    daemons: DaemonFactory,
    openbao: OpenBaoServer,
    reviewer_binding: str,
    cluster_objects: list[tuple[str, str]],
    tmp_path: Path,
) -> None:
    namespace = kube_namespace
    connection = load_connection(cluster.kubeconfig)
    api_ca = connection.certificate_authority()
    assert api_ca
    mount = f"k8s-{namespace}"
    openbao.enable_kubernetes_auth(
        connection.server, api_ca, kubectl_token(cluster, namespace, reviewer_binding), mount=mount
    )
    pki = openbao.setup_pki(mount=f"pki-{namespace}", policy=f"pki-{namespace}")
    cluster.kubectl("create", "serviceaccount", "issuer", "-n", namespace)
    # Logins are accepted only with a token issued for this Issuer's audience (cert-manager's
    # vault://NAMESPACE/NAME), which certpilot must request.
    openbao.kubernetes_role(ROLE, ["issuer"], [namespace], f"vault://{namespace}/bound", pki.mount, mount)
    openbao.kubernetes_role("listed", ["issuer"], [namespace], "extra.example", pki.mount, mount)
    openbao.kubernetes_role("server-url", ["issuer"], [namespace], openbao.url, pki.mount, mount)
    cluster_issuer = f"{namespace}-vault"
    openbao.kubernetes_role("cluster", ["issuer"], [namespace], f"vault://{cluster_issuer}", pki.mount, mount)
    openbao.kubernetes_role("from-secret", ["issuer"], [namespace], "static.example", pki.mount, mount)
    openbao.kubernetes_role("elsewhere", ["issuer"], [namespace], "vault://other/issuer", pki.mount, mount)
    mount_path = f"/v1/auth/{mount}"
    secret_token = kubectl_token(cluster, namespace, "issuer", "static.example")
    apply(
        cluster,
        [
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "issuer-token", "namespace": namespace},
                "stringData": {"token": secret_token},
            },
            vault_issuer(
                "bound",
                namespace,
                openbao,
                pki,
                {
                    "role": ROLE,
                    "mountPath": mount_path,
                    "serviceAccountRef": {"name": "issuer", "audiences": ["extra.example"]},
                },
            ),
            *(
                vault_issuer(
                    role,
                    namespace,
                    openbao,
                    pki,
                    {
                        "role": role,
                        "mountPath": mount_path,
                        "serviceAccountRef": {"name": "issuer", "audiences": ["extra.example"]},
                    },
                )
                for role in ("listed", "server-url")
            ),
            vault_issuer(
                "from-secret",
                namespace,
                openbao,
                pki,
                {
                    "role": "from-secret",
                    "mountPath": mount_path,
                    "secretRef": {"name": "issuer-token", "key": "token"},
                },
            ),
            vault_issuer(
                "elsewhere",
                namespace,
                openbao,
                pki,
                {"role": "elsewhere", "mountPath": mount_path, "serviceAccountRef": {"name": "issuer"}},
            ),
            {
                "apiVersion": "cert-manager.io/v1",
                "kind": "Certificate",
                "metadata": {"name": "app", "namespace": namespace},
                "spec": {
                    "secretName": "app-tls",
                    "dnsNames": ["app.example.test"],
                    "privateKey": {"algorithm": "ECDSA"},
                    "issuerRef": {"name": "bound", "kind": "Issuer"},
                },
            },
        ],
    )
    cluster_issuer_manifest = vault_issuer(
        cluster_issuer,
        namespace,
        openbao,
        pki,
        {"role": "cluster", "mountPath": mount_path, "serviceAccountRef": {"name": "issuer"}},
    )
    cluster_issuer_manifest["kind"] = "ClusterIssuer"
    del cluster_issuer_manifest["metadata"]["namespace"]
    apply(cluster, [cluster_issuer_manifest])
    cluster_objects.append(("clusterissuer", cluster_issuer))
    # ClusterIssuers read their credentials, and request their tokens, in the cluster resource
    # namespace.
    daemon = daemons("--cluster-resource-namespace", namespace)

    def ready(issuer: Issuer | ClusterIssuer) -> bool:
        return ready_message(issuer)[0] == "True"

    await wait_for(kube_store, Issuer, "bound", namespace, ready, daemons=(daemon,))
    # The token also carries the audiences listed on the Issuer and the Vault server's URL.
    for name in ("listed", "server-url", "from-secret"):
        await wait_for(kube_store, Issuer, name, namespace, ready, daemons=(daemon,))
    # A ClusterIssuer's audience is vault://NAME.
    await wait_for(kube_store, ClusterIssuer, cluster_issuer, None, ready, daemons=(daemon,))
    await wait_ready(kube_store, "app", namespace, daemon)
    issued = await kube_store.get(Secret, "app-tls", namespace)
    chain = issued.get_data("tls.crt")
    assert chain
    verified = openssl_verify(chain, pki.root_pem, tmp_path / "app")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # A role bound to another audience refuses the token certpilot requested for this Issuer.
    refused = await wait_for(
        kube_store,
        Issuer,
        "elsewhere",
        namespace,
        lambda i: ready_message(i)[0] == "False",
        daemons=(daemon,),
    )
    assert "invalid audience (aud) claim" in ready_message(refused)[1], ready_message(refused)
    assert secret_token not in daemon.log()
