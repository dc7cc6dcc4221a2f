"""What create / update / update_status return is exactly what the store then holds, for every kind.

The writes hand back the stored JSON text and validate it with `model_validate_json` instead of
validating a dict; this checks, over every kind with every field set (the api round-trip
fixtures), that the result equals both a get() and a model validated from the stored dict."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from certpilot.api.loader import load_manifests
from certpilot.api.meta import Resource
from certpilot.api.registry import all_kinds
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock

MANIFESTS = Path(__file__).parents[1] / "api" / "manifests"


def every_fixture_object() -> list[Resource]:
    return [
        obj
        for path in sorted(MANIFESTS.glob("*.yaml"))
        for obj in load_manifests(path.read_text(), path.name)
    ]


def without_server_fields(obj: Resource) -> Resource:
    fresh = obj.model_copy(deep=True)
    fresh.metadata.uid = None
    fresh.metadata.resource_version = None
    fresh.metadata.creation_timestamp = None
    fresh.metadata.deletion_timestamp = None
    fresh.metadata.owner_references = None
    fresh.metadata.finalizers = None
    return fresh


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "store.db", clock=FakeClock())
    yield opened
    await opened.close()


def stored_dict(path: Path, obj: Resource) -> dict[str, object]:
    with sqlite3.connect(path) as connection:
        row = connection.execute(
            "SELECT body FROM objects WHERE kind = ? AND name = ?", (obj.KIND, obj.name)
        ).fetchone()
    loaded: dict[str, object] = json.loads(row[0])
    return loaded


def test_the_fixtures_cover_every_kind() -> None:
    # Other tests may register kinds of their own; certpilot's are the ones in certpilot.api. Kinds
    # of other projects (Ingress, Gateway API) are only read on a cluster: test_foreign_kinds.py.
    certpilot_kinds = {
        kind for kind in all_kinds() if kind.__module__.startswith("certpilot.api.") and kind.STANDALONE
    }
    assert {type(obj) for obj in every_fixture_object()} == certpilot_kinds


async def test_write_results_equal_the_stored_object_for_every_kind(store: SQLiteStore) -> None:
    for fixture in every_fixture_object():
        kind = type(fixture)

        created = await store.create(without_server_fields(fixture))
        assert created == await store.get(kind, created.name, created.namespace)
        assert created == kind.model_validate(stored_dict(store.path, created))

        changed = created.model_copy(deep=True)
        changed.metadata.labels = {**(changed.metadata.labels or {}), "written": "again"}
        updated = await store.update(changed)
        assert updated.metadata.resource_version != created.metadata.resource_version
        assert updated == await store.get(kind, created.name, created.namespace)
        assert updated == kind.model_validate(stored_dict(store.path, created))

        unchanged = await store.update(updated)
        assert unchanged == updated

        if kind.HAS_STATUS:
            with_status = updated.model_copy(deep=True)
            with_status.status = fixture.status  # type: ignore[attr-defined]
            status_written = await store.update_status(with_status)
            assert status_written == await store.get(kind, created.name, created.namespace)
            assert status_written == kind.model_validate(stored_dict(store.path, created))
            assert status_written.status == fixture.status  # type: ignore[attr-defined]
