"""Events recorded into a Store: one Event per distinct occurrence, repeats counted."""

from __future__ import annotations

from certpilot.api.certificate import Certificate
from certpilot.api.core import Event
from certpilot.store.events import StoreEventRecorder
from certpilot.store.kubernetes import KubernetesStore
from certpilot.store.protocol import Store
from certpilot.testing.clock import FakeClock
from tests.contract.store_harness import eventually
from tests.contract.store_objects import certificate, cluster_issuer


async def test_repeats_of_an_event_raise_its_count(store: Store, clock: FakeClock) -> None:
    recorder = StoreEventRecorder(store, clock, "certpilot-certificates")
    cert = await store.create(certificate("web"))
    first_seen = clock.now()

    await recorder.event(cert, "Warning", "Failed", "issuer ca not ready")
    clock.advance(30)
    await recorder.event(cert, "Warning", "Failed", "issuer ca not ready")
    clock.advance(30)
    await recorder.event(cert, "Warning", "Failed", "issuer ca not ready")

    await recorder.flush()
    events, _ = await store.list(Event, namespace="default")
    assert len(events) == 1
    event = events[0]
    assert event.count == 3
    assert event.first_timestamp == first_seen
    assert event.last_timestamp == clock.now()
    assert (event.type, event.reason, event.message) == ("Warning", "Failed", "issuer ca not ready")
    assert event.involved_object.kind == "Certificate"
    assert event.involved_object.name == "web"
    assert event.involved_object.namespace == "default"
    assert event.involved_object.uid == cert.metadata.uid
    assert event.source is not None
    assert event.source.component == "certpilot-certificates"


async def test_different_events_are_kept_apart(store: Store, clock: FakeClock) -> None:
    recorder = StoreEventRecorder(store, clock, "certpilot")
    cert = await store.create(certificate("web"))

    await recorder.event(cert, "Normal", "Issuing", "issuing a new certificate")
    await recorder.event(cert, "Normal", "Issued", "certificate issued")
    await recorder.event(cert, "Normal", "Issued", "certificate issued")

    await recorder.flush()
    events, _ = await store.list(Event, namespace="default")
    assert sorted((e.reason, e.count) for e in events) == [("Issued", 2), ("Issuing", 1)]


async def test_events_about_cluster_scoped_objects_go_to_default(store: Store, clock: FakeClock) -> None:
    recorder = StoreEventRecorder(store, clock, "certpilot")
    issuer = await store.create(cluster_issuer("root"))

    await recorder.event(issuer, "Normal", "KeyPairVerified", "signing CA verified")

    await recorder.flush()
    events, _ = await store.list(Event, namespace="default")
    assert [(e.involved_object.kind, e.involved_object.name) for e in events] == [("ClusterIssuer", "root")]
    assert events[0].involved_object.namespace is None


async def test_events_aggregate_across_recorders(store: Store, clock: FakeClock) -> None:
    cert = await store.create(certificate("web"))

    for _ in range(2):
        recorder = StoreEventRecorder(store, clock, "certpilot")
        await recorder.event(cert, "Normal", "Issued", "done")
        await recorder.flush()

    events, _ = await store.list(Event)
    assert [e.count for e in events] == [2]


async def test_deleting_the_object_deletes_its_events_standalone(store: Store, clock: FakeClock) -> None:
    """Events are owned by their object. The SQLite store collects them with it (it has no Event
    TTL); Kubernetes' garbage collector ignores Events, which expire after the API server's
    --event-ttl instead, so there they outlive the object, as cert-manager's do."""
    recorder = StoreEventRecorder(store, clock, "certpilot")
    cert = await store.create(certificate("web"))
    other = await store.create(certificate("other"))
    await recorder.event(cert, "Normal", "Issued", "done")
    await recorder.event(other, "Normal", "Issued", "done")
    await recorder.flush()

    await store.delete(Certificate, "web", "default")

    expected = ["other", "web"] if isinstance(store, KubernetesStore) else ["other"]
    await eventually(lambda: involved_names(store), expected)
    events, _ = await store.list(Event)
    assert all(e.metadata.owner_references for e in events)


async def involved_names(store: Store) -> list[str]:
    return [e.involved_object.name for e in (await store.list(Event))[0]]
