"""Kubernetes' write rules as the SQLite store applies them (pure functions over JSON bodies)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from certpilot.store import rules
from certpilot.store.errors import Conflict


def body(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "u1",
            "resourceVersion": "5",
            "generation": 3,
            "creationTimestamp": "2030-01-01T00:00:00Z",
        },
        "spec": {"secretName": "web-tls"},
        "status": {"revision": 1},
    }
    base.update(overrides)
    return base


def test_format_timestamp_is_utc_seconds() -> None:
    moment = datetime(2030, 1, 1, 2, 3, 4, 999, tzinfo=timezone(timedelta(hours=2)))
    assert rules.format_timestamp(moment) == "2030-01-01T00:03:04Z"


def test_next_generation_moves_only_with_the_content() -> None:
    stored = body()
    assert rules.next_generation(stored, body(status={"revision": 2})) == 3
    relabelled = body()
    relabelled["metadata"] = {**relabelled["metadata"], "labels": {"a": "b"}}
    assert rules.next_generation(stored, relabelled) == 3
    assert rules.next_generation(stored, body(spec={"secretName": "other"})) == 4


def test_update_keeps_server_owned_fields_and_status() -> None:
    incoming = body(spec={"secretName": "other"}, status={"revision": 9})
    incoming["metadata"] = {"name": "web", "namespace": "default", "uid": "u1", "generation": 99}

    merged = rules.merged_for_update(body(), incoming, has_status=True)
    assert merged["status"] == {"revision": 1}
    assert merged["metadata"]["generation"] == 4
    assert merged["metadata"]["creationTimestamp"] == "2030-01-01T00:00:00Z"
    assert merged["spec"] == {"secretName": "other"}


def test_update_without_status_subresource_takes_everything() -> None:
    merged = rules.merged_for_update(body(), body(status={"revision": 9}), has_status=False)
    assert merged["status"] == {"revision": 9}


def test_status_update_takes_only_the_status() -> None:
    merged = rules.merged_for_status_update(body(), body(spec={"secretName": "x"}, status={"revision": 2}))
    assert merged == body(status={"revision": 2})


def test_stale_resource_version_or_recreated_uid_is_conflict() -> None:
    rules.check_resource_version(body(), body())
    unconditional = body()
    unconditional["metadata"] = {"name": "web"}
    rules.check_resource_version(body(), unconditional)
    stale = body()
    stale["metadata"] = {**stale["metadata"], "resourceVersion": "4"}
    with pytest.raises(Conflict, match="get it again"):
        rules.check_resource_version(body(), stale)
    recreated = body()
    recreated["metadata"] = {**recreated["metadata"], "uid": "u2"}
    with pytest.raises(Conflict):
        rules.check_resource_version(body(), recreated)


def test_finalizers_done_only_when_marked_and_empty() -> None:
    marked = body()
    marked["metadata"] = {**marked["metadata"], "deletionTimestamp": "2030-01-01T00:00:00Z"}
    assert rules.finalizers_done(marked)
    marked["metadata"]["finalizers"] = ["x"]
    assert not rules.finalizers_done(marked)
    assert not rules.finalizers_done(body())


def test_without_owner_drops_one_reference() -> None:
    owned = body()
    owned["metadata"] = {
        **owned["metadata"],
        "ownerReferences": [
            {"apiVersion": "v1", "kind": "A", "name": "a", "uid": "o1"},
            {"apiVersion": "v1", "kind": "B", "name": "b", "uid": "o2"},
        ],
    }
    assert rules.owner_uids(rules.without_owner(owned, "o1")) == ["o2"]
    assert "ownerReferences" not in rules.without_owner(rules.without_owner(owned, "o1"), "o2")["metadata"]


def test_same_apart_from_resource_version() -> None:
    newer = body()
    newer["metadata"] = {**newer["metadata"], "resourceVersion": "6"}
    assert rules.same_apart_from_resource_version(body(), newer)
    assert not rules.same_apart_from_resource_version(body(), body(spec={}))


def test_format_timestamp_accepts_utc() -> None:
    assert rules.format_timestamp(datetime(2030, 1, 1, tzinfo=UTC)) == "2030-01-01T00:00:00Z"
