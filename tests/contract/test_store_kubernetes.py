"""What only the Kubernetes backend does: watches across API server restarts, versions etcd no
longer keeps, serving one namespace, the API server's own refusals."""

from __future__ import annotations

import asyncio
import os

import pytest
from store_objects import certificate, secret

from certpilot.api.certificate import Certificate
from certpilot.api.core import Secret
from certpilot.store.errors import Gone, Invalid
from certpilot.store.kubernetes import KubernetesStore

WATCH_DEADLINE_S = 5.0


async def test_a_watch_from_a_version_the_server_no_longer_keeps_is_gone(kube_store: KubernetesStore) -> None:
    stream = aiter(kube_store.watch(Secret, "1"))
    with pytest.raises(Gone):
        await asyncio.wait_for(anext(stream), WATCH_DEADLINE_S)


async def test_a_watch_survives_an_api_server_restart_without_losing_events(
    kube_store: KubernetesStore, request: pytest.FixtureRequest
) -> None:
    if os.environ.get("CERTPILOT_TEST_KUBECONFIG"):
        pytest.skip("restarting the API server needs the suite's own control plane")
    plane = request.getfixturevalue("kube_control_plane")
    await kube_store.create(certificate("before"))
    _, listed_at = await kube_store.list(Certificate)
    stream = aiter(kube_store.watch(Certificate, listed_at))
    first = await kube_store.create(certificate("first"))
    assert (await asyncio.wait_for(anext(stream), WATCH_DEADLINE_S)).object.name == "first"

    await asyncio.to_thread(plane.restart_apiserver)
    # Written while the watch was cut off: it must resume from "first" and see both.
    first.spec.dns_names = ["moved.example.com"]
    await kube_store.update(first)
    await kube_store.create(certificate("second"))

    seen = [
        (event.type, event.object.name)
        for event in [await asyncio.wait_for(anext(stream), 60) for _ in range(2)]
    ]
    assert seen == [("MODIFIED", "first"), ("ADDED", "second")]
    await stream.aclose()  # type: ignore[attr-defined]


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
