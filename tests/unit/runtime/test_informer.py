"""Informers and the informer cache against the real SQLite store."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import pytest

from certpilot.api.certificate import Certificate
from certpilot.api.common import IssuerReference
from certpilot.api.core import Secret
from certpilot.api.issuer import ClusterIssuer, Issuer, IssuerSpec, SelfSignedIssuer
from certpilot.api.meta import ObjectMeta, Resource
from certpilot.api.read_only import ReadOnlyObjectError
from certpilot.runtime.cache import InformerCache, KindNotCached
from certpilot.runtime.informer import Indexed, Informer
from certpilot.store.errors import Gone
from certpilot.store.protocol import WatchEvent, WatchEventType
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.builders import certificate, issuer_selfsigned
from certpilot.testing.clock import FakeClock
from tests.unit.runtime.runtime_builders import eventually, secret


@pytest.fixture
async def running(
    store: SQLiteStore,
) -> AsyncIterator[tuple[InformerCache, list[tuple[WatchEventType, str]]]]:
    cache = InformerCache(store, FakeClock())
    seen: list[tuple[WatchEventType, str]] = []
    informer = cache.informer(Secret)
    informer.add_handler(lambda t, o: seen.append((t, o.key)))
    task = asyncio.ensure_future(informer.run())
    await asyncio.wait_for(informer.wait_synced(), 10)
    yield cache, seen
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_initial_list_fills_cache_and_reports_added(store: SQLiteStore) -> None:
    await store.create(secret("a"))
    await store.create(secret("b", "other"))
    cache = InformerCache(store, FakeClock())
    seen: list[tuple[str, str]] = []
    informer = cache.informer(Secret)
    informer.add_handler(lambda t, o: seen.append((t, o.key)))
    task = asyncio.ensure_future(informer.run())
    await asyncio.wait_for(informer.wait_synced(), 10)
    try:
        assert cache.synced
        assert sorted(seen) == [("ADDED", "default/a"), ("ADDED", "other/b")]
        got = cache.get(Secret, "a", "default")
        assert got is not None and got.metadata.uid
        assert cache.get(Secret, "a", "other") is None
    finally:
        task.cancel()


async def test_watch_keeps_cache_current(
    store: SQLiteStore, running: tuple[InformerCache, list[tuple[WatchEventType, str]]]
) -> None:
    cache, seen = running
    created = await store.create(secret("w", labels={"app": "x"}))
    await eventually(lambda: cache.get(Secret, "w", "default") is not None)
    created.metadata.labels = {"app": "y"}
    await store.update(created)
    await eventually(lambda: cache.list(Secret, labels={"app": "y"}) != [])
    assert cache.list(Secret, labels={"app": "x"}) == []
    await store.delete(Secret, "w", "default")
    await eventually(lambda: cache.get(Secret, "w", "default") is None)
    assert [t for t, k in seen if k == "default/w"] == ["ADDED", "MODIFIED", "DELETED"]


async def test_indexes_by_namespace_labels_and_owner(
    store: SQLiteStore, running: tuple[InformerCache, list[tuple[WatchEventType, str]]]
) -> None:
    cache, _ = running
    # Owners must exist: the store collects objects whose owners are all gone.
    owners = []
    for name in ("owner-1", "owner-2"):
        owner = ClusterIssuer(metadata=ObjectMeta(name=name), spec=IssuerSpec(self_signed=SelfSignedIssuer()))
        owners.append((await store.create(owner)).metadata.uid or "")
    first, second = owners
    await store.create(secret("one", "ns1", {"app": "web", "tier": "a"}, owner_uid=first))
    await store.create(secret("two", "ns1", {"app": "web", "tier": "b"}, owner_uid=second))
    await store.create(secret("three", "ns2", {"app": "web", "tier": "a"}, owner_uid=first))
    await eventually(lambda: len(cache.list(Secret)) == 3)
    assert [s.name for s in cache.list(Secret, "ns1")] == ["one", "two"]
    assert [s.name for s in cache.list(Secret, labels={"tier": "a"})] == ["one", "three"]
    assert [s.name for s in cache.list(Secret, "ns2", {"app": "web", "tier": "a"})] == ["three"]
    assert cache.list(Secret, "ns1", {"app": "web", "tier": "c"}) == []
    assert [s.key for s in cache.owned_by(Secret, first)] == ["ns1/one", "ns2/three"]
    assert cache.owned_by(Secret, "nobody") == []


async def test_reading_an_uncached_kind_says_how_to_fix_it(store: SQLiteStore) -> None:
    cache = InformerCache(store, FakeClock())
    with pytest.raises(KindNotCached, match="ClusterIssuer is not in the informer cache"):
        cache.get(ClusterIssuer, "x")


class GoneOnceStore:
    """Wraps the real store: its first watch fails with Gone (as after a compaction) to prove
    the informer lists again; everything else is the real SQLite store."""

    def __init__(self, inner: SQLiteStore) -> None:
        self.inner = inner
        self.lists = 0
        self.watches = 0

    async def list(self, kind: type[Secret], label_selector: str | None = None) -> tuple[list[Secret], str]:
        self.lists += 1
        return await self.inner.list(kind, label_selector=label_selector)

    async def watch(
        self, kind: type[Secret], resource_version: str | None = None, label_selector: str | None = None
    ) -> AsyncIterator[WatchEvent[Secret]]:
        self.watches += 1
        if self.watches == 1:
            raise Gone("too old")
        async for event in self.inner.watch(kind, resource_version):
            yield event


async def test_gone_makes_the_informer_list_again_and_notice_changes(store: SQLiteStore) -> None:
    wrapped = GoneOnceStore(store)
    await store.create(secret("before"))
    informer: Informer[Secret] = Informer(wrapped, Secret, FakeClock())  # type: ignore[arg-type]
    task = asyncio.ensure_future(informer.run())
    try:
        await asyncio.wait_for(informer.wait_synced(), 10)
        await store.create(secret("after"))
        await eventually(lambda: informer.cache.get("after", "default") is not None)
        assert wrapped.lists == 2
    finally:
        task.cancel()


class FailingOnceStore(GoneOnceStore):
    """The first watch fails with a connection error: the informer must back off (on the fake
    clock) and resume from where it was, without a new list."""

    async def watch(
        self, kind: type[Secret], resource_version: str | None = None, label_selector: str | None = None
    ) -> AsyncIterator[WatchEvent[Secret]]:
        self.watches += 1
        if self.watches == 1:
            raise ConnectionError("store unreachable")
        async for event in self.inner.watch(kind, resource_version):
            yield event


async def test_watch_errors_back_off_then_resume(store: SQLiteStore) -> None:
    clock = FakeClock()
    wrapped = FailingOnceStore(store)
    informer: Informer[Secret] = Informer(wrapped, Secret, clock, retry_base_delay=5)  # type: ignore[arg-type]
    task = asyncio.ensure_future(informer.run())
    try:
        await asyncio.wait_for(clock.wait_for_sleepers(), 10)
        assert wrapped.watches == 1
        await store.create(secret("later"))
        clock.advance(5)
        await eventually(lambda: informer.cache.get("later", "default") is not None)
        assert wrapped.lists == 1
        assert wrapped.watches == 2
    finally:
        task.cancel()


async def test_change_handlers_get_the_replaced_object_on_modification(store: SQLiteStore) -> None:
    await store.create(secret("a"))
    informer = InformerCache(store, FakeClock()).informer(Secret)
    seen: list[tuple[WatchEventType, str | None, str | None]] = []
    informer.add_change_handler(
        lambda t, old, new: seen.append(
            (t, old.metadata.resource_version if old else None, new.metadata.resource_version)
        )
    )
    task = asyncio.ensure_future(informer.run())
    await asyncio.wait_for(informer.wait_synced(), 10)
    try:
        first = seen[0][2]
        assert seen == [("ADDED", None, first)]
        current = await store.get(Secret, "a", "default")
        current.metadata.labels = {"changed": "yes"}
        updated = await store.update(current)
        await eventually(lambda: len(seen) == 2)
        assert seen[1] == ("MODIFIED", first, updated.metadata.resource_version)
        await store.delete(Secret, "a", "default")
        await eventually(lambda: len(seen) == 3)
        assert seen[2][:2] == ("DELETED", None)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_cached_objects_share_equal_parts(store: SQLiteStore) -> None:
    await store.create(secret("a", "ns1", {"app": "web"}))
    await store.create(secret("b", "ns1", {"app": "web"}))
    informer: Informer[Secret] = Informer(store, Secret, FakeClock())
    task = asyncio.ensure_future(informer.run())
    try:
        await asyncio.wait_for(informer.wait_synced(), 10)
        await store.create(secret("c", "ns1", {"app": "web"}))
        await eventually(lambda: informer.cache.get("c", "ns1") is not None)
        a, c = informer.cache.get("a", "ns1"), informer.cache.get("c", "ns1")
        assert a is not None and c is not None
        assert c.metadata.__pydantic_fields_set__ is a.metadata.__pydantic_fields_set__
        assert c.metadata.name == "c" and c.metadata.labels == {"app": "web"}
    finally:
        task.cancel()


async def test_cached_objects_are_read_only(
    store: SQLiteStore, running: tuple[InformerCache, list[tuple[WatchEventType, str]]]
) -> None:
    cache, _ = running
    await store.create(secret("ro", labels={"app": "x"}))
    await eventually(lambda: cache.get(Secret, "ro", "default") is not None)
    cached = cache.get(Secret, "ro", "default")
    assert cached is not None
    with pytest.raises(ReadOnlyObjectError):
        cached.metadata.labels = {"app": "y"}
    with pytest.raises(ReadOnlyObjectError):
        (cached.metadata.labels or {})["app"] = "y"
    mine = cached.model_copy(deep=True)
    (mine.metadata.labels or {})["app"] = "y"
    await store.update(mine)
    await eventually(lambda: cache.list(Secret, labels={"app": "y"}) != [])
    assert cached.metadata.labels == {"app": "x"}


async def test_each_deleted_object_is_told_once_to_each_listener(
    store: SQLiteStore, running: tuple[InformerCache, list[tuple[WatchEventType, str]]]
) -> None:
    cache, seen = running
    told: list[str] = []

    class Memos:
        def forget(self, obj: Resource) -> None:
            told.append(obj.key)

    memos = Memos()
    cache.on_deleted(memos.forget)
    cache.on_deleted(memos.forget)  # a second controller sharing the same memos
    await store.create(secret("gone"))
    await store.create(secret("kept"))
    await store.delete(Secret, "gone", "default")
    await eventually(lambda: ("DELETED", "default/gone") in seen)
    assert told == ["default/gone"]


def test_the_cache_tables_shrink_once_most_objects_are_deleted() -> None:
    indexed: Indexed[Secret] = Indexed()
    for i in range(5000):
        indexed.put(secret(f"s{i}", owner_uid="owner-uid"))
    grown = sys.getsizeof(indexed.objects), sys.getsizeof(indexed._by_namespace["default"])
    for i in range(4990):
        indexed.remove(("default", f"s{i}"))
    assert len(indexed.objects) == 10 and len(indexed.owned_by("owner-uid")) == 10
    # Shrunk tables stay at up to 64 KiB (shrunk.MIN_SHRINK_BYTES); grown ones were far larger.
    assert sys.getsizeof(indexed.objects) * 4 < grown[0]
    assert sys.getsizeof(indexed._by_namespace["default"]) * 4 < grown[1]
    assert sys.getsizeof(indexed._by_owner["owner-uid"]) * 4 < grown[1]


async def test_shared_parts_of_deleted_objects_are_swept_once_the_cache_halves(store: SQLiteStore) -> None:
    cache = InformerCache(store, FakeClock())
    informer = cache.informer(Certificate)
    task = asyncio.ensure_future(informer.run())
    await asyncio.wait_for(informer.wait_synced(), 10)
    try:
        for i in range(8):
            await store.create(certificate(f"c{i}", issuer=f"issuer-{i}"))
        await eventually(lambda: len(cache.list(Certificate)) == 8)
        issuer_refs = informer._shared_parts._structs[IssuerReference]
        assert len(issuer_refs) == 8
        for i in range(3):
            await store.delete(Certificate, f"c{i}", "default")
        await eventually(lambda: len(cache.list(Certificate)) == 5)
        assert len(issuer_refs) == 8, "not swept before the cache halves"
        for i in range(3, 6):
            await store.delete(Certificate, f"c{i}", "default")
        await eventually(lambda: len(cache.list(Certificate)) == 2)
        # Swept at 4 and at 2 objects: only the live objects' parts stay (the store's watch keeps no
        # page of changes, and so no deleted object, while it waits for the next).
        assert {ref.name for ref in issuer_refs.values()} == {"issuer-6", "issuer-7"}
    finally:
        task.cancel()


async def test_the_cache_counts_its_objects_and_remembers_the_most_it_held(store: SQLiteStore) -> None:
    cache = InformerCache(store, FakeClock())
    secrets, issuers = cache.informer(Secret), cache.informer(Issuer)
    tasks = [asyncio.create_task(i.run()) for i in (secrets, issuers)]
    try:
        for name in ("a", "b", "c"):
            await store.create(secret(name))
        await eventually(lambda: cache.cached_objects() == 3, "three Secrets cached")
        assert cache.peak_objects == 3, "the highest point so far is now"
        await store.delete(Secret, "a", "default")
        await store.delete(Secret, "b", "default")
        await eventually(lambda: cache.cached_objects() == 1, "two deleted")
        assert cache.peak_objects == 3, "the highest point came before the deletions"
        await store.create(issuer_selfsigned("d"))
        await eventually(lambda: cache.cached_objects() == 2, "an Issuer cached")
        assert cache.peak_objects == 3
        for name in ("e", "f"):
            await store.create(secret(name))
        await eventually(lambda: cache.cached_objects() == 4, "two more Secrets cached")
        assert cache.peak_objects == 4, "a new highest point, of two kinds together"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
