"""Fixtures for end-to-end tests on the suite's real control plane (see tests/kube_fixtures.py):
certpilot's CRDs installed once, a KubernetesStore to observe with, and daemons started per test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from certpilot.store.kube_connection import load_connection
from certpilot.store.kubernetes import KubernetesStore
from certpilot.testing.peers.bind import BindServer, bind_server
from certpilot.testing.peers.kube import KubeControlPlane
from certpilot.testing.peers.pebble import PebbleServer
from certpilot.testing.peers.ports import free_port
from tests.e2e.kube.kube_harness import REPO, DaemonFactory, KubeDaemon


@pytest.fixture(scope="session")
def cluster(certpilot_cluster: KubeControlPlane) -> KubeControlPlane:
    """The control plane with certpilot's CRDs installed (tests/kube_fixtures.py)."""
    return certpilot_cluster


@pytest.fixture
async def kube_store(cluster: Any) -> AsyncIterator[KubernetesStore]:
    store = KubernetesStore(load_connection(cluster.kubeconfig))
    yield store
    await store.close()


@pytest.fixture
def daemons(cluster: Any, tmp_path: Path) -> Iterator[DaemonFactory]:
    """Starts `certpilot run --kubeconfig` replicas; every one still running is stopped after."""
    started: list[KubeDaemon] = []

    def start(*extra: str) -> KubeDaemon:
        daemon = KubeDaemon(cluster.kubeconfig, tmp_path / f"replica-{len(started)}.log", list(extra))
        started.append(daemon.start())
        return daemon

    yield start
    for daemon in started:
        daemon.stop()


@pytest.fixture
def cluster_objects(cluster: Any) -> Iterator[list[tuple[str, str]]]:
    """Cluster-scoped objects a test creates, as (resource, name): deleted after it."""
    created: list[tuple[str, str]] = []
    yield created
    for resource, name in created:
        cluster.kubectl("delete", resource, name, "--ignore-not-found", "--wait=false", check=False)


# The Gateway API v1.6.1 standard-channel CRDs, beside the repository (../shared/gateway-api/crds).
GATEWAY_API_CRDS = Path(
    os.environ.get("CERTPILOT_GATEWAY_API_CRDS", REPO.parent / "shared" / "gateway-api" / "crds")
)


@pytest.fixture(scope="session")
def gateway_api(cluster: Any) -> Any:
    """The Gateway API v1.6.1 CRDs, installed as a cluster admin would."""
    if not GATEWAY_API_CRDS.is_dir():
        pytest.skip(f"the Gateway API CRDs are not at {GATEWAY_API_CRDS}")
    cluster.kubectl("apply", "--server-side", "-f", str(GATEWAY_API_CRDS))
    cluster.kubectl("wait", "--for=condition=Established", "crd/gateways.gateway.networking.k8s.io")
    cluster.kubectl("wait", "--for=condition=Established", "crd/listenersets.gateway.networking.k8s.io")
    cluster.kubectl("wait", "--for=condition=Established", "crd/httproutes.gateway.networking.k8s.io")
    return cluster


@pytest.fixture(scope="session")
def bind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BindServer]:
    """BIND for the ACME tests on the cluster: RFC2136 target, and the DNS pebble resolves with (its
    wildcard A record sends every name to 127.0.0.1)."""
    server = bind_server(tmp_path_factory.mktemp("kube-bind")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pebble(tmp_path_factory: pytest.TempPathFactory, bind: BindServer) -> Iterator[PebbleServer]:
    directory = tmp_path_factory.mktemp("kube-pebble")
    server = PebbleServer(directory, dns_server=bind.address, http_port=free_port(), tls_port=free_port())
    yield server.start()
    server.stop()
