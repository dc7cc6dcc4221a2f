"""The suite's own Kubernetes control plane: it answers, its controller-manager works, it survives
restarts, and RBAC is enforced."""

from __future__ import annotations

import json
import stat
import uuid

import pytest

from certpilot.testing.peers.kube import KubeControlPlane, wait_for

pytestmark = [pytest.mark.peers, pytest.mark.slow]


def config_map(name: str, namespace: str, owner_uid: str | None = None, owner: str = "") -> str:
    metadata: dict[str, object] = {"name": name, "namespace": namespace}
    if owner_uid is not None:
        metadata["ownerReferences"] = [
            {"apiVersion": "v1", "kind": "ConfigMap", "name": owner, "uid": owner_uid}
        ]
    return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {"k": "v"}})


def exists(plane: KubeControlPlane, kind: str, name: str, namespace: str) -> bool:
    result = plane.kubectl("get", kind, name, "-n", namespace, "-o", "name", check=False)
    if result.returncode != 0 and "NotFound" not in result.stderr:
        raise AssertionError(result.stderr)
    return result.returncode == 0


def test_the_apiserver_answers_on_loopback_with_private_credentials(
    kube_control_plane: KubeControlPlane,
) -> None:
    plane = kube_control_plane
    assert plane.server.startswith("https://127.0.0.1:")
    assert plane.kubectl("get", "--raw", "/readyz").stdout == "ok"
    assert stat.S_IMODE(plane.kubeconfig.stat().st_mode) == 0o600
    assert stat.S_IMODE(plane.kubeconfig_for("alice").stat().st_mode) == 0o600
    assert plane.admin_token not in repr(plane)
    for log in plane.directory.glob("*.log"):
        assert plane.admin_token not in log.read_text(errors="replace"), log


def test_the_garbage_collector_deletes_dependents_of_a_deleted_owner(
    kube_control_plane: KubeControlPlane, kube_namespace: str
) -> None:
    plane = kube_control_plane
    plane.kubectl("create", "-f", "-", input=config_map("owner", kube_namespace))
    owner_uid = plane.kubectl(
        "get", "configmap", "owner", "-n", kube_namespace, "-o", "jsonpath={.metadata.uid}"
    ).stdout
    plane.kubectl("create", "-f", "-", input=config_map("dependent", kube_namespace, owner_uid, "owner"))

    plane.kubectl("delete", "configmap", "owner", "-n", kube_namespace)

    wait_for(
        lambda: not exists(plane, "configmap", "dependent", kube_namespace),
        timeout=30,
        what="garbage collection of the dependent ConfigMap",
    )


def test_objects_survive_an_apiserver_restart(
    kube_control_plane: KubeControlPlane, kube_namespace: str
) -> None:
    plane = kube_control_plane
    value = uuid.uuid4().hex
    plane.kubectl("create", "configmap", "kept", "-n", kube_namespace, f"--from-literal=value={value}")

    plane.restart_apiserver()

    stored = plane.kubectl("get", "configmap", "kept", "-n", kube_namespace, "-o", "jsonpath={.data.value}")
    assert stored.stdout == value


def test_objects_survive_an_etcd_restart(kube_control_plane: KubeControlPlane, kube_namespace: str) -> None:
    plane = kube_control_plane
    plane.kubectl("create", "configmap", "kept", "-n", kube_namespace, "--from-literal=value=etcd")

    plane.restart_etcd()

    assert exists(plane, "configmap", "kept", kube_namespace)


def test_rbac_forbids_a_user_without_bindings(
    kube_control_plane: KubeControlPlane, kube_namespace: str
) -> None:
    plane = kube_control_plane
    assert plane.kubectl("get", "secrets", "-n", kube_namespace).returncode == 0

    denied = plane.kubectl("get", "secrets", "-n", kube_namespace, user="alice", check=False)

    assert denied.returncode != 0
    assert "Forbidden" in denied.stderr
    assert 'User "alice" cannot list resource "secrets"' in denied.stderr
