"""A real Kubernetes control plane for the suite (etcd, kube-apiserver, kube-controller-manager).

One plane serves the whole session: it takes several seconds to start. Tests isolate themselves in a
fresh namespace each (`kube_namespace`). Without $KUBEBUILDER_ASSETS the tests that need it are skipped,
saying why.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from certpilot.testing.peers.kube import (
    KubeControlPlane,
    kube_assets,
    kube_assets_unavailable_reason,
    wait_for,
)

# Users the tests can act as; RBAC grants them nothing until a test binds them a role.
KUBE_TEST_USERS: dict[str, tuple[str, ...]] = {"alice": ()}


@pytest.fixture(scope="session")
def kube_control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeControlPlane]:
    assets = kube_assets()
    if assets is None:
        reason = f"no Kubernetes control plane binaries: {kube_assets_unavailable_reason()}"
        if os.environ.get("CERTPILOT_REQUIRE_KUBE"):
            pytest.fail(f"{reason} (CERTPILOT_REQUIRE_KUBE is set: CI must run the Kubernetes tests)")
        print(reason)
        pytest.skip(reason)
    plane = KubeControlPlane(tmp_path_factory.mktemp("kube"), assets, users=KUBE_TEST_USERS)
    with plane:
        yield plane


@pytest.fixture
def kube_namespace(kube_control_plane: KubeControlPlane) -> Iterator[str]:
    """A fresh namespace, deleted afterwards (without waiting for its finalization)."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    kube_control_plane.kubectl("create", "namespace", name)
    yield name
    kube_control_plane.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found")


REPO = Path(__file__).resolve().parents[1]
# kube-controller-manager's garbage collector looks for new resource kinds every 30 s.
GC_DISCOVERY_SECONDS = 90.0


@pytest.fixture(scope="session")
def certpilot_cluster(kube_control_plane: KubeControlPlane) -> KubeControlPlane:
    """The control plane with certpilot's CRDs Established and known to the garbage collector."""
    install_crds(kube_control_plane)
    return kube_control_plane


def install_crds(plane: KubeControlPlane) -> None:
    plane.kubectl("apply", "--server-side", "-k", str(REPO / "deploy" / "crds"))
    plane.kubectl("wait", "--for=condition=Established", "crd", "--all")
    plane.restart_controller_manager()
    wait_until_garbage_collector_knows_certificates(plane)


def wait_until_garbage_collector_knows_certificates(plane: KubeControlPlane) -> None:
    """Deleting a Certificate collects what it owns only once the collector has discovered the CRD:
    prove it with a probe owner and dependent, as a user's cascade would go."""
    name = f"gc-probe-{uuid.uuid4().hex[:8]}"
    # kubectl's discovery may lag the CRD's Established condition by a moment.
    wait_for(
        lambda: (
            plane.kubectl(
                "apply", "-f", "-", input=json.dumps(probe_certificate(name)), check=False
            ).returncode
            == 0
        ),
        GC_DISCOVERY_SECONDS,
        "kubectl to know the Certificate kind",
    )
    owner = json.loads(plane.kubectl("get", "certificate", name, "-n", "default", "-o", "json").stdout)
    dependent = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": "default",
            "ownerReferences": [
                {
                    "apiVersion": "cert-manager.io/v1",
                    "kind": "Certificate",
                    "name": name,
                    "uid": owner["metadata"]["uid"],
                }
            ],
        },
    }
    plane.kubectl("apply", "-f", "-", input=json.dumps(dependent))
    plane.kubectl("delete", "certificate", name, "-n", "default")
    wait_for(
        lambda: (
            not plane.kubectl(
                "get", "configmap", name, "-n", "default", "--ignore-not-found", "-o", "name"
            ).stdout
        ),
        GC_DISCOVERY_SECONDS,
        "the garbage collector to collect a Certificate's dependent",
    )


def probe_certificate(name: str) -> dict[str, object]:
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"secretName": name, "dnsNames": ["probe.example.test"], "issuerRef": {"name": "none"}},
    }
