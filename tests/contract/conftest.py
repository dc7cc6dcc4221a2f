"""Store backends for the contract suite, and builders for the objects it writes.

Every test that takes `store` runs once per backend: SQLite on a temporary file, and Kubernetes
on the suite's own control plane (etcd, kube-apiserver, kube-controller-manager from
KUBEBUILDER_ASSETS), or on the API server CERTPILOT_TEST_KUBECONFIG names. Each Kubernetes test
starts from a cluster emptied of what the suite writes (its namespaces stay)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from certpilot.api.certificate import Certificate
from certpilot.api.core import Event, Secret
from certpilot.api.issuer import ClusterIssuer
from certpilot.api.meta import Resource
from certpilot.store.errors import NotFound
from certpilot.store.kube_connection import load_connection
from certpilot.store.kubernetes import KubernetesStore
from certpilot.store.protocol import Store
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock
from tests.contract.store_harness import ServerTimeCheck, StoreFactory

REPO = Path(__file__).resolve().parents[2]
# Namespaces the contract tests write to.
NAMESPACES = ("default", "a", "b", "one", "two")
# Kinds the contract tests write, emptied before each Kubernetes test.
WRITTEN_KINDS: tuple[type[Resource], ...] = (Certificate, ClusterIssuer, Secret, Event)
# API server clocks stamp seconds; a test's own clock and the server's may be this far apart.
SERVER_CLOCK_SLACK = timedelta(seconds=10)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture(scope="session")
def contract_kubeconfig(request: pytest.FixtureRequest) -> Path:
    """A kubeconfig of an API server with certpilot's CRDs installed."""
    if configured := os.environ.get("CERTPILOT_TEST_KUBECONFIG"):
        kubeconfig = Path(configured)
        kubectl_binary = Path(os.environ.get("KUBEBUILDER_ASSETS", "")) / "kubectl"

        def kubectl(*args: str | Path, check: bool = True) -> None:
            command = [kubectl_binary, "--kubeconfig", kubeconfig, *args]
            subprocess.run(command, check=check, capture_output=True)

        kubectl("apply", "--server-side", "-k", REPO / "deploy" / "crds")
        kubectl("wait", "--for=condition=Established", "crd", "--all")
    else:
        plane = request.getfixturevalue("certpilot_cluster")
        kubeconfig = plane.kubeconfig

        def kubectl(*args: str | Path, check: bool = True) -> None:
            plane.kubectl(*map(str, args), check=check)

    for namespace in NAMESPACES:
        kubectl("create", "namespace", namespace, check=False)
    return kubeconfig


@pytest.fixture(params=["sqlite", "kubernetes"])
async def store(request: pytest.FixtureRequest, db_path: Path, clock: FakeClock) -> AsyncIterator[Store]:
    backend: Store
    if request.param == "kubernetes":
        backend = KubernetesStore(load_connection(request.getfixturevalue("contract_kubeconfig")))
        await empty_cluster(backend)
    else:
        backend = SQLiteStore(db_path, clock=clock)
    yield backend
    await backend.close()


@pytest.fixture
async def kube_store(contract_kubeconfig: Path) -> AsyncIterator[KubernetesStore]:
    """The Kubernetes backend alone, for what only it does (restarts, compaction, one namespace)."""
    backend = KubernetesStore(load_connection(contract_kubeconfig))
    await empty_cluster(backend)
    yield backend
    await backend.close()


@pytest.fixture
def server_time(request: pytest.FixtureRequest, clock: FakeClock) -> ServerTimeCheck:
    """Checks a timestamp the store set: the injected clock's now on SQLite, the API server's (real
    time, whole seconds) on Kubernetes."""
    on_kubernetes = "kubernetes" in request.node.callspec.params.get("store", "")

    def check(moment: datetime | None) -> None:
        assert moment is not None
        if on_kubernetes:
            assert abs(moment - datetime.now(UTC)) < SERVER_CLOCK_SLACK
        else:
            assert moment == clock.now()

    return check


async def empty_cluster(store: Store) -> None:
    """Delete every object of the written kinds, finalizers first, and check they are gone. Objects
    that appear meanwhile are not leftovers: the API server records Events of its own in `default`
    (a restart's `TerminationStart`, for one) at moments no test controls."""
    for kind in WRITTEN_KINDS:
        items, _ = await store.list(kind)
        deleted = {item.metadata.uid for item in items}
        for item in items:
            if item.metadata.finalizers:
                item.metadata.finalizers = None
                try:
                    await store.update(item)
                except NotFound:
                    continue
            with contextlib.suppress(NotFound):
                await store.delete(kind, item.name, item.namespace)
        remaining = [o for o in (await store.list(kind))[0] if o.metadata.uid in deleted]
        assert remaining == [], f"{kind.KIND} objects left behind: {[o.key for o in remaining]}"


@pytest.fixture
async def open_sqlite(db_path: Path, clock: FakeClock) -> AsyncIterator[StoreFactory]:
    """Opens SQLite stores on one file (a restart is close + open); all are closed at the end."""
    opened: list[SQLiteStore] = []

    def open_store(history_limit: int = 100_000) -> SQLiteStore:
        opened.append(SQLiteStore(db_path, clock=clock, history_limit=history_limit))
        return opened[-1]

    yield open_store
    for opened_store in opened:
        await opened_store.close()
