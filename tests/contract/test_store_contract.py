"""The Store contract: Kubernetes API semantics every backend must provide (see conftest `store`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TypeVar

import pytest

from certpilot.api.certificate import Certificate, CertificateStatus
from certpilot.api.core import Secret
from certpilot.api.issuer import ClusterIssuer
from certpilot.api.meta import Condition, Resource
from certpilot.store.errors import AlreadyExists, Conflict, Invalid, NotFound
from certpilot.store.protocol import Store, WatchEvent
from certpilot.testing.clock import FakeClock
from tests.contract.store_harness import ServerTimeCheck, eventually
from tests.contract.store_objects import certificate, cluster_issuer, secret

# Generous: a watch that does not deliver within this is broken, not slow.
WATCH_DEADLINE_S = 5.0


T = TypeVar("T", bound=Resource)


async def next_events(stream: AsyncIterator[WatchEvent[T]], count: int) -> list[tuple[str, str]]:
    """(type, name) of the next `count` events of a watch."""
    events: list[tuple[str, str]] = []
    for _ in range(count):
        event = await asyncio.wait_for(anext(stream), WATCH_DEADLINE_S)
        events.append((event.type, event.object.name))
    return events


async def secret_names(store: Store) -> list[str]:
    return [s.name for s in (await store.list(Secret))[0]]


async def owner_names(store: Store, name: str) -> list[str]:
    held = await store.get(Secret, name, "default")
    return [ref.name for ref in held.metadata.owner_references or []]


async def being_deleted(store: Store, name: str) -> bool:
    return (await store.get(Secret, name, "default")).metadata.deletion_timestamp is not None


async def test_create_sets_server_fields_and_get_returns_it(
    store: Store, server_time: ServerTimeCheck
) -> None:
    created = await store.create(certificate("web"))

    assert created.metadata.uid
    assert created.metadata.generation == 1
    assert created.metadata.resource_version
    server_time(created.metadata.creation_timestamp)
    fetched = await store.get(Certificate, "web", "default")
    assert fetched == created


async def test_returned_objects_are_copies(store: Store) -> None:
    created = await store.create(certificate("web"))
    created.spec.dns_names = ["changed.example.com"]

    fetched = await store.get(Certificate, "web", "default")
    assert fetched.spec.dns_names == ["web.example.com"]


async def test_create_of_a_taken_name_is_already_exists(store: Store) -> None:
    await store.create(certificate("web"))
    with pytest.raises(AlreadyExists):
        await store.create(certificate("web"))


async def test_same_name_in_another_namespace_is_another_object(store: Store) -> None:
    await store.create(certificate("web", namespace="a"))
    await store.create(certificate("web", namespace="b"))

    items, _ = await store.list(Certificate)
    assert [(c.namespace, c.name) for c in items] == [("a", "web"), ("b", "web")]


async def test_missing_objects_are_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.get(Certificate, "nope", "default")
    with pytest.raises(NotFound):
        await store.update(certificate("nope"))
    with pytest.raises(NotFound):
        await store.delete(Certificate, "nope", "default")


async def test_generate_name_gets_a_unique_suffix(store: Store) -> None:
    template = certificate("")
    template.metadata.name = None
    template.metadata.generate_name = "web-"

    first = await store.create(template)
    second = await store.create(template)
    assert first.name.startswith("web-")
    assert second.name.startswith("web-")
    assert first.name != second.name


async def test_create_without_name_is_invalid(store: Store) -> None:
    nameless = certificate("")
    nameless.metadata.name = None
    with pytest.raises(Invalid):
        await store.create(nameless)


async def test_cluster_scoped_kinds_have_no_namespace(store: Store) -> None:
    await store.create(cluster_issuer("root"))

    fetched = await store.get(ClusterIssuer, "root")
    assert fetched.namespace is None
    items, _ = await store.list(ClusterIssuer)
    assert [i.name for i in items] == ["root"]


async def test_update_with_a_stale_resource_version_is_conflict(store: Store) -> None:
    created = await store.create(certificate("web"))
    stale = created.model_copy(deep=True)
    created.spec.dns_names = ["one.example.com"]
    await store.update(created)

    stale.spec.dns_names = ["two.example.com"]
    with pytest.raises(Conflict):
        await store.update(stale)
    with pytest.raises(Conflict):
        await store.update_status(stale)


async def test_update_without_resource_version_is_unconditional(store: Store) -> None:
    await store.create(certificate("web"))
    blind = certificate("web", dns_names=["blind.example.com"])

    updated = await store.update(blind)
    assert updated.spec.dns_names == ["blind.example.com"]


async def test_every_write_gets_a_higher_resource_version(store: Store) -> None:
    a = await store.create(certificate("a"))
    b = await store.create(secret("b"))
    a.spec.dns_names = ["x.example.com"]
    a2 = await store.update(a)

    versions = [int(o.metadata.resource_version or "0") for o in (a, b, a2)]
    assert versions == sorted(versions)
    assert len(set(versions)) == 3


async def test_generation_moves_only_with_the_spec(store: Store) -> None:
    created = await store.create(certificate("web"))

    created.metadata.labels = {"team": "a"}
    relabelled = await store.update(created)
    assert relabelled.metadata.generation == 1

    relabelled.spec.dns_names = ["new.example.com"]
    respecced = await store.update(relabelled)
    assert respecced.metadata.generation == 2

    respecced.status = CertificateStatus(revision=1)
    with_status = await store.update_status(respecced)
    assert with_status.metadata.generation == 2


async def test_an_update_that_changes_nothing_keeps_the_resource_version(store: Store) -> None:
    created = await store.create(certificate("web"))

    again = await store.update(created)
    assert again.metadata.resource_version == created.metadata.resource_version


async def test_create_ignores_status(store: Store) -> None:
    with_status = certificate("web")
    with_status.status = CertificateStatus(revision=7)

    created = await store.create(with_status)
    assert created.status is None


async def test_update_keeps_the_stored_status(store: Store) -> None:
    created = await store.create(certificate("web"))
    created.status = CertificateStatus(revision=1)
    with_status = await store.update_status(created)

    with_status.status = CertificateStatus(revision=99)
    with_status.spec.dns_names = ["new.example.com"]
    updated = await store.update(with_status)
    assert updated.status == CertificateStatus(revision=1)
    assert updated.spec.dns_names == ["new.example.com"]


async def test_update_status_changes_only_the_status(store: Store, clock: FakeClock) -> None:
    created = await store.create(certificate("web"))
    ready = Condition(type="Ready", status="True", reason="Issued", last_transition_time=clock.now())
    created.status = CertificateStatus(conditions=[ready])
    created.spec.dns_names = ["ignored.example.com"]
    created.metadata.labels = {"ignored": "yes"}

    updated = await store.update_status(created)
    assert updated.status is not None
    assert updated.status.conditions == [ready]
    assert updated.spec.dns_names == ["web.example.com"]
    assert updated.metadata.labels is None
    assert (await store.get(Certificate, "web", "default")) == updated


async def test_update_status_of_a_kind_without_status_is_invalid(store: Store) -> None:
    created = await store.create(secret("s"))
    with pytest.raises(Invalid):
        await store.update_status(created)


async def test_kinds_without_status_subresource_update_everything(store: Store) -> None:
    created = await store.create(secret("s"))
    created.set_data("tls.crt", b"pem")

    updated = await store.update(created)
    assert updated.get_data("tls.crt") == b"pem"


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        (None, ["dev-a", "none", "prod-a", "prod-b"]),
        ("", ["dev-a", "none", "prod-a", "prod-b"]),
        ("env=prod", ["prod-a", "prod-b"]),
        ("env==prod", ["prod-a", "prod-b"]),
        ("env!=prod", ["dev-a", "none"]),
        ("env in (dev, prod),tier=web", ["dev-a", "prod-a"]),
        ("env notin (prod)", ["dev-a", "none"]),
        ("env", ["dev-a", "prod-a", "prod-b"]),
        ("!env", ["none"]),
        ("env=prod,!tier", ["prod-b"]),
        ("app.kubernetes.io/name=web", ["prod-b"]),
    ],
)
async def test_list_filters_by_label_selector(
    store: Store, selector: str | None, expected: list[str]
) -> None:
    await store.create(certificate("prod-a", labels={"env": "prod", "tier": "web"}))
    await store.create(certificate("prod-b", labels={"env": "prod", "app.kubernetes.io/name": "web"}))
    await store.create(certificate("dev-a", labels={"env": "dev", "tier": "web"}))
    await store.create(certificate("none"))

    items, _ = await store.list(Certificate, label_selector=selector)
    assert sorted(c.name for c in items) == expected


async def test_list_of_a_bad_selector_is_invalid(store: Store) -> None:
    with pytest.raises(Invalid):
        await store.list(Certificate, label_selector="env in prod")


async def test_list_by_namespace(store: Store) -> None:
    await store.create(certificate("a", namespace="one"))
    await store.create(certificate("b", namespace="two"))

    items, _ = await store.list(Certificate, namespace="two")
    assert [c.name for c in items] == ["b"]


async def test_watch_resumes_after_the_list_resource_version(store: Store) -> None:
    first = await store.create(certificate("first"))
    _, listed_at = await store.list(Certificate)
    await store.create(certificate("second"))
    await store.create(secret("other-kind"))
    first.spec.dns_names = ["changed.example.com"]
    await store.update(first)
    await store.delete(Certificate, "second", "default")

    stream = aiter(store.watch(Certificate, listed_at))
    assert await next_events(stream, 3) == [("ADDED", "second"), ("MODIFIED", "first"), ("DELETED", "second")]
    await store.create(certificate("live"))
    assert await next_events(stream, 1) == [("ADDED", "live")]
    await stream.aclose()  # type: ignore[attr-defined]


async def test_watch_event_carries_the_object_as_written(store: Store) -> None:
    _, listed_at = await store.list(Certificate)
    created = await store.create(certificate("web"))

    stream = aiter(store.watch(Certificate, listed_at))
    event = await asyncio.wait_for(anext(stream), WATCH_DEADLINE_S)
    assert event.object == created
    await stream.aclose()  # type: ignore[attr-defined]


async def test_watch_without_resource_version_starts_with_what_exists(store: Store) -> None:
    await store.create(certificate("existing"))

    stream = aiter(store.watch(Certificate))
    assert await next_events(stream, 1) == [("ADDED", "existing")]
    await store.create(certificate("later"))
    assert await next_events(stream, 1) == [("ADDED", "later")]
    await stream.aclose()  # type: ignore[attr-defined]


async def test_a_label_selected_watch_sees_only_matching_objects(store: Store) -> None:
    """What a filtered informer (certpilot's managed Secrets) relies on: an object that stops
    matching arrives as DELETED; one that never matched is never seen."""
    await store.create(certificate("first-write"))  # so the list's resourceVersion is not "0"
    _, listed_at = await store.list(Secret)
    managed = {"controller.cert-manager.io/fao": "true"}
    await store.create(secret("keep", labels=managed))
    dropped = await store.create(secret("dropped", labels=managed))
    await store.create(secret("plain"))
    dropped.metadata.labels = None
    await store.update(dropped)
    await store.create(secret("late", labels=managed))

    stream = aiter(store.watch(Secret, listed_at, label_selector="controller.cert-manager.io/fao=true"))
    assert await next_events(stream, 4) == [
        ("ADDED", "keep"),
        ("ADDED", "dropped"),
        ("DELETED", "dropped"),
        ("ADDED", "late"),
    ]
    await stream.aclose()  # type: ignore[attr-defined]


async def test_finalizers_hold_a_deletion(store: Store, server_time: ServerTimeCheck) -> None:
    created = await store.create(certificate("web", finalizers=["example.com/cleanup"]))
    _, listed_at = await store.list(Certificate)

    await store.delete(Certificate, "web", "default")
    held = await store.get(Certificate, "web", "default")
    server_time(held.metadata.deletion_timestamp)
    assert int(held.metadata.resource_version or "0") > int(created.metadata.resource_version or "0")

    await store.delete(Certificate, "web", "default")
    assert (await store.get(Certificate, "web", "default")).metadata.resource_version == (
        held.metadata.resource_version
    )

    held.metadata.finalizers = None
    await store.update(held)
    with pytest.raises(NotFound):
        await store.get(Certificate, "web", "default")

    stream = aiter(store.watch(Certificate, listed_at))
    assert await next_events(stream, 2) == [("MODIFIED", "web"), ("DELETED", "web")]
    await stream.aclose()  # type: ignore[attr-defined]


async def test_a_deletion_timestamp_cannot_be_set_or_cleared_by_update(store: Store) -> None:
    """As Kubernetes: only delete sets it, and only the end of the deletion clears it."""
    live = await store.create(certificate("live"))
    live.metadata.deletion_timestamp = datetime(2030, 1, 1, tzinfo=UTC)
    # Kubernetes refuses the write (the field is immutable); the SQLite store ignores the field.
    with contextlib.suppress(Invalid):
        await store.update(live)
    assert (await store.get(Certificate, "live", "default")).metadata.deletion_timestamp is None

    created = await store.create(certificate("web", finalizers=["example.com/cleanup"]))
    await store.delete(Certificate, "web", "default")

    created.metadata.resource_version = None
    cleared_by_update = await store.update(created)
    assert cleared_by_update.metadata.deletion_timestamp is not None
    assert (await store.get(Certificate, "web", "default")).metadata.deletion_timestamp is not None


async def test_deleting_an_owner_deletes_its_dependents_at_every_level(store: Store) -> None:
    owner = await store.create(certificate("owner"))
    child = await store.create(secret("child", owners=[owner]))
    await store.create(secret("grandchild", owners=[child]))
    await store.create(secret("unrelated"))

    await store.delete(Certificate, "owner", "default")

    await eventually(lambda: secret_names(store), ["unrelated"])


async def test_cascade_honours_finalizers_of_dependents(store: Store) -> None:
    owner = await store.create(certificate("owner"))
    guarded = await store.create(secret("guarded", owners=[owner], finalizers=["example.com/keep"]))
    await store.create(secret("below-guarded", owners=[guarded]))

    await store.delete(Certificate, "owner", "default")
    await eventually(lambda: being_deleted(store, "guarded"), True)
    held = await store.get(Secret, "guarded", "default")
    await store.get(Secret, "below-guarded", "default")

    held.metadata.finalizers = None
    await store.update(held)
    await eventually(lambda: secret_names(store), [])


async def test_a_dependent_with_another_live_owner_survives(store: Store) -> None:
    first = await store.create(certificate("first"))
    second = await store.create(certificate("second"))
    await store.create(secret("shared", owners=[first, second]))

    await store.delete(Certificate, "first", "default")

    await eventually(lambda: owner_names(store, "shared"), ["second"])
    await store.delete(Certificate, "second", "default")
    await eventually(lambda: secret_names(store), [])


async def test_an_object_created_after_its_owner_was_deleted_is_collected(store: Store) -> None:
    """A create racing with its owner's deletion (a controller acting on a stale cache) leaves
    no orphan: the garbage collector removes it, as Kubernetes' does."""
    owner = await store.create(certificate("owner"))
    await store.delete(Certificate, "owner", "default")
    await store.create(secret("late", owners=[owner]))
    await eventually(lambda: secret_names(store), [])


async def test_concurrent_writes_all_land_and_a_conflict_fails_alone(store: Store) -> None:
    target = await store.create(certificate("target"))
    stale = target.model_copy(deep=True)
    target.spec.dns_names = ["moved.example.com"]
    await store.update(target)

    stale.spec.dns_names = ["stale.example.com"]
    results = await asyncio.gather(
        *(store.create(secret(f"s{i}")) for i in range(100)),
        store.update(stale),
        return_exceptions=True,
    )
    assert isinstance(results[-1], Conflict)
    assert not any(isinstance(r, BaseException) for r in results[:-1])
    items, _ = await store.list(Secret)
    assert len(items) == 100
    assert len({s.metadata.resource_version for s in items}) == 100
