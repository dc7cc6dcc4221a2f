"""Kubernetes' write rules as pure functions over JSON objects (camelCase dicts).

Backends that have to enforce the API semantics themselves (SQLite) compose these; each one is a
single decision, tested directly. Inputs are never mutated; results may share nested values with
them (bodies are treated as immutable below the metadata level), which keeps writes cheap.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from certpilot.store.errors import Conflict

Body = dict[str, Any]

# Fields the server owns: whatever a client sends for them on update is replaced by the stored value.
_SERVER_OWNED_METADATA = ("uid", "creationTimestamp", "generation", "deletionTimestamp")


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 at second precision in UTC, as Kubernetes writes metadata timestamps."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def content_changed(old: Body, new: Body) -> bool:
    """Whether anything outside metadata and status differs: what makes generation move."""
    return _content(old) != _content(new)


def next_generation(old: Body, new: Body) -> int:
    """generation +1 when the content (spec) changed; metadata- or status-only writes keep it."""
    current = int(old.get("metadata", {}).get("generation") or 1)
    return current + 1 if content_changed(old, new) else current


def check_resource_version(stored: Body, incoming: Body) -> None:
    """Optimistic concurrency: an incoming resourceVersion must equal the stored one.

    An empty resourceVersion means "unconditional", as in Kubernetes' update.
    """
    wanted = incoming.get("metadata", {}).get("resourceVersion")
    current = stored["metadata"]["resourceVersion"]
    if wanted and wanted != current:
        raise Conflict(
            f"{_describe(stored)} was changed since it was read "
            f"(resourceVersion {wanted}, now {current}): get it again and reapply the change"
        )
    wanted_uid = incoming.get("metadata", {}).get("uid")
    if wanted_uid and wanted_uid != stored["metadata"].get("uid"):
        raise Conflict(f"{_describe(stored)} was deleted and created again since it was read: get it again")


def merged_for_update(stored: Body, incoming: Body, has_status: bool) -> Body:
    """The object an update() stores: the client's metadata and content, the server's own fields.

    With a status subresource the stored status is kept: status is written by update_status() only.
    """
    metadata = dict(incoming.get("metadata", {}))
    result = {**incoming, "apiVersion": stored["apiVersion"], "kind": stored["kind"], "metadata": metadata}
    stored_metadata = stored["metadata"]
    metadata["name"] = stored_metadata["name"]
    _set_or_drop(metadata, "namespace", stored_metadata.get("namespace"))
    for field in _SERVER_OWNED_METADATA:
        _set_or_drop(metadata, field, stored_metadata.get(field))
    if has_status:
        _set_or_drop(result, "status", stored.get("status"))
    metadata["generation"] = next_generation(stored, result)
    return result


def merged_for_status_update(stored: Body, incoming: Body) -> Body:
    """The object an update_status() stores: everything as stored except the client's status."""
    result = {**stored, "metadata": dict(stored["metadata"])}
    _set_or_drop(result, "status", incoming.get("status"))
    return result


def same_apart_from_resource_version(a: Body, b: Body) -> bool:
    """A write that changes nothing is not a write: no new resourceVersion, no watch event."""
    return _without_resource_version(a) == _without_resource_version(b)


def is_being_deleted(body: Body) -> bool:
    return bool(body.get("metadata", {}).get("deletionTimestamp"))


def finalizers_done(body: Body) -> bool:
    """Marked for deletion and no finalizer left: the object can go."""
    return is_being_deleted(body) and not body.get("metadata", {}).get("finalizers")


def owner_uids(body: Body) -> list[str]:
    return [ref["uid"] for ref in body.get("metadata", {}).get("ownerReferences") or [] if ref.get("uid")]


def without_owner(body: Body, owner_uid: str) -> Body:
    """The object with its ownerReference to owner_uid removed (another owner still holds it)."""
    metadata = dict(body["metadata"])
    result = {**body, "metadata": metadata}
    remaining = [ref for ref in metadata.get("ownerReferences") or [] if ref.get("uid") != owner_uid]
    _set_or_drop(metadata, "ownerReferences", remaining or None)
    return result


def _content(body: Body) -> Body:
    return {k: v for k, v in body.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def _without_resource_version(body: Body) -> Body:
    result = dict(body)
    result["metadata"] = {k: v for k, v in body.get("metadata", {}).items() if k != "resourceVersion"}
    return result


def _set_or_drop(mapping: Body, key: str, value: Any) -> None:
    if value is None:
        mapping.pop(key, None)
    else:
        mapping[key] = value


def _describe(body: Body) -> str:
    metadata = body.get("metadata", {})
    namespace = metadata.get("namespace")
    where = f"{namespace}/" if namespace else ""
    return f"{body.get('kind')} {where}{metadata.get('name')}"
