"""What only the Kubernetes backend does: watches across API server restarts, versions etcd no
longer keeps, serving one namespace, the API server's own refusals."""

from __future__ import annotations

import asyncio
import os

import pytest

from certpilot.api.certificate import Certificate
from certpilot.api.core import Secret
from certpilot.runtime.clock import SystemClock
from certpilot.runtime.informer import Informer
from certpilot.store.errors import Gone, Invalid
from certpilot.store.kubernetes import KubernetesStore
from certpilot.testing.peers.kube import KubeControlPlane
from tests.contract.store_harness import eventually
from tests.contract.store_objects import certificate, secret

WATCH_DEADLINE_S = 5.0


async def test_a_watch_from_before_an_api_server_restart_is_gone(
    kube_store: KubernetesStore, restartable_plane: KubeControlPlane
) -> None:
    """A restarted API server's watch cache starts at the current revision: older versions are
    Gone (410), so the watcher must list again, as client-go's reflector does."""
    _, listed_at = await kube_store.list(Secret)
    await kube_store.create(secret("after-the-list"))
    await asyncio.to_thread(restartable_plane.restart_apiserver)

    stream = aiter(kube_store.watch(Secret, listed_at))
    with pytest.raises(Gone):
        await asyncio.wait_for(anext(stream), WATCH_DEADLINE_S)


async def test_an_informer_loses_nothing_across_an_api_server_restart(
    kube_store: KubernetesStore, restartable_plane: KubeControlPlane
) -> None:
    informer: Informer[Certificate] = Informer(kube_store, Certificate, SystemClock())
    running = asyncio.create_task(informer.run())
    try:
        await asyncio.wait_for(informer.wait_synced(), WATCH_DEADLINE_S)
        first = await kube_store.create(certificate("first"))
        await eventually(lambda: cached_names(informer), ["first"])

        await asyncio.to_thread(restartable_plane.restart_apiserver)
        first.spec.dns_names = ["moved.example.com"]
        await kube_store.update(first)
        await kube_store.create(certificate("second"))

        await eventually(lambda: cached_names(informer), ["first", "second"])
        moved = informer.cache.get("first", "default")
        assert moved is not None and moved.spec.dns_names == ["moved.example.com"]
    finally:
        running.cancel()


async def cached_names(informer: Informer[Certificate]) -> list[str]:
    return sorted(name for _, name in informer.cache.objects)


async def test_a_store_for_one_namespace_lists_and_watches_only_it(kube_store: KubernetesStore) -> None:
    await kube_store.create(certificate("mine", namespace="one"))
    await kube_store.create(certificate("theirs", namespace="two"))
    scoped = KubernetesStore(kube_store.connection, namespace="one")
    try:
        items, listed_at = await scoped.list(Certificate)
        assert [c.name for c in items] == ["mine"]
        stream = aiter(scoped.watch(Certificate, listed_at))
        await kube_store.create(certificate("theirs-later", namespace="two"))
        await kube_store.create(certificate("mine-later", namespace="one"))
        event = await asyncio.wait_for(anext(stream), WATCH_DEADLINE_S)
        assert (event.type, event.object.name) == ("ADDED", "mine-later")
        await stream.aclose()  # type: ignore[attr-defined]
    finally:
        await scoped.close()


async def test_the_api_servers_refusal_names_the_field(kube_store: KubernetesStore) -> None:
    bad = secret("Not_A_Valid_Name")
    with pytest.raises(Invalid, match=r"metadata\.name"):
        await kube_store.create(bad)


@pytest.fixture
def restartable_plane(request: pytest.FixtureRequest) -> KubeControlPlane:
    """The suite's own control plane: one named by CERTPILOT_TEST_KUBECONFIG is not ours to restart."""
    if os.environ.get("CERTPILOT_TEST_KUBECONFIG"):
        pytest.skip("restarting the API server needs the suite's own control plane")
    plane: KubeControlPlane = request.getfixturevalue("certpilot_cluster")
    return plane


async def test_a_list_of_many_pages_is_whole_and_watchable_from(kube_store: KubernetesStore) -> None:
    paged = KubernetesStore(kube_store.connection, list_page_size=2)
    try:
        for index in range(5):
            await kube_store.create(certificate(f"c{index}"))
        items, listed_at = await paged.list(Certificate)
        assert [c.name for c in items] == [f"c{index}" for index in range(5)]
        stream = aiter(paged.watch(Certificate, listed_at))
        await kube_store.create(certificate("after"))
        event = await asyncio.wait_for(anext(stream), WATCH_DEADLINE_S)
        assert (event.type, event.object.name) == ("ADDED", "after")
        await stream.aclose()  # type: ignore[attr-defined]
    finally:
        await paged.close()


async def test_a_connection_never_shows_its_credentials(kube_store: KubernetesStore) -> None:
    token = kube_store.connection.config.user.token if kube_store.connection.config.user else None
    assert token
    assert token not in repr(kube_store.connection)
    assert token not in str(kube_store.connection)
