"""A real Kubernetes control plane for the suite (etcd, kube-apiserver, kube-controller-manager).

One plane serves the whole session: it takes several seconds to start. Tests isolate themselves in a
fresh namespace each (`kube_namespace`). Without $KUBEBUILDER_ASSETS the tests that need it are skipped,
saying why.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from certpilot.testing.peers.kube import KubeControlPlane, kube_assets, kube_assets_unavailable_reason

# Users the tests can act as; RBAC grants them nothing until a test binds them a role.
KUBE_TEST_USERS: dict[str, tuple[str, ...]] = {"alice": ()}


@pytest.fixture(scope="session")
def kube_control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeControlPlane]:
    assets = kube_assets()
    if assets is None:
        reason = f"no Kubernetes control plane binaries: {kube_assets_unavailable_reason()}"
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
