"""Field indexes of the informer cache: built on first use, kept current through every change."""

from __future__ import annotations

import asyncio

import pytest

from certpilot.api.core import Secret
from certpilot.api.issuer import ClusterIssuer
from certpilot.api.meta import ObjectMeta
from certpilot.runtime.cache import InformerCache, KindNotCached
from certpilot.runtime.field_index import FieldIndex
from certpilot.runtime.informer import Indexed
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock
from tests.unit.runtime.runtime_builders import eventually

BY_TYPE: FieldIndex[Secret] = FieldIndex("type", lambda s: [s.type or ""])
BY_LABEL_VALUES: FieldIndex[Secret] = FieldIndex("label values", lambda s: (s.metadata.labels or {}).values())


def typed(name: str, type_: str, namespace: str = "default", labels: dict[str, str] | None = None) -> Secret:
    return Secret(metadata=ObjectMeta(name=name, namespace=namespace, labels=labels), type=type_)


def names(secrets: list[Secret]) -> list[str]:
    return [s.key for s in secrets]


def test_an_index_asked_for_late_covers_objects_stored_before() -> None:
    cache: Indexed[Secret] = Indexed()
    cache.put(typed("b", "tls"))
    cache.put(typed("a", "tls", "other"))
    cache.put(typed("c", "opaque"))
    assert names(cache.by_field(BY_TYPE, "tls")) == ["default/b", "other/a"]
    assert names(cache.by_field(BY_TYPE, "tls", "other")) == ["other/a"]
    assert cache.by_field(BY_TYPE, "missing") == []


def test_updates_and_removals_move_objects_between_values() -> None:
    cache: Indexed[Secret] = Indexed()
    cache.put(typed("a", "tls"))
    assert names(cache.by_field(BY_TYPE, "tls")) == ["default/a"]
    cache.put(typed("a", "opaque"))
    assert cache.by_field(BY_TYPE, "tls") == []
    assert names(cache.by_field(BY_TYPE, "opaque")) == ["default/a"]
    cache.remove(("default", "a"))
    assert cache.by_field(BY_TYPE, "opaque") == []


def test_an_object_can_be_filed_under_several_values() -> None:
    cache: Indexed[Secret] = Indexed()
    cache.put(typed("a", "tls", labels={"x": "red", "y": "blue"}))
    cache.put(typed("b", "tls", labels={"x": "blue"}))
    assert names(cache.by_field(BY_LABEL_VALUES, "blue")) == ["default/a", "default/b"]
    assert names(cache.by_field(BY_LABEL_VALUES, "red")) == ["default/a"]
    cache.put(typed("a", "tls", labels={"x": "green"}))
    assert names(cache.by_field(BY_LABEL_VALUES, "blue")) == ["default/b"]
    assert cache.by_field(BY_LABEL_VALUES, "red") == []


def test_several_indexes_of_one_kind_are_kept_apart() -> None:
    cache: Indexed[Secret] = Indexed()
    cache.put(typed("a", "blue", labels={"x": "tls"}))
    assert names(cache.by_field(BY_TYPE, "blue")) == ["default/a"]
    assert names(cache.by_field(BY_LABEL_VALUES, "tls")) == ["default/a"]
    assert cache.by_field(BY_TYPE, "tls") == []


async def test_the_informer_cache_answers_from_the_index_as_the_store_changes(store: SQLiteStore) -> None:
    await store.create(typed("a", "tls"))
    cache = InformerCache(store, FakeClock())
    informer = cache.informer(Secret)
    task = asyncio.ensure_future(informer.run())
    try:
        await asyncio.wait_for(informer.wait_synced(), 10)
        assert names(cache.indexed(Secret, BY_TYPE, "tls", "default")) == ["default/a"]
        await store.create(typed("b", "tls", "other"))
        await eventually(lambda: len(cache.indexed(Secret, BY_TYPE, "tls")) == 2, "b indexed")
        assert names(cache.indexed(Secret, BY_TYPE, "tls", "other")) == ["other/b"]
        await store.delete(Secret, "a", "default")
        await eventually(lambda: names(cache.indexed(Secret, BY_TYPE, "tls")) == ["other/b"], "a gone")
        with pytest.raises(KindNotCached):
            cache.indexed(ClusterIssuer, FieldIndex("n", lambda o: [o.name]), "x")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
