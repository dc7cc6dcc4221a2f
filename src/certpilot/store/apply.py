"""`apply`: create an object, or update it to what a manifest declares, as `kubectl apply` does.

Shared by the CLI and the daemon's watched manifests folder. Every update is checked against the
API's update rules (immutable specs, final approvals) before anything is written, so a refused
change leaves the store as it was.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from certpilot.api.meta import Resource
from certpilot.api.validation import validate_update
from certpilot.store.errors import AlreadyExists, Conflict, Invalid, NotFound
from certpilot.store.protocol import Store


class Applied(enum.StrEnum):
    CREATED = "created"
    CONFIGURED = "configured"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class ApplyResult:
    object: Resource
    outcome: Applied

    def __str__(self) -> str:
        return f"{display_name(self.object)} {self.outcome}"


def display_name(obj: Resource) -> str:
    """kubectl's `certificate.cert-manager.io/web` (`secret/web` for core kinds)."""
    group = obj.API_VERSION.rpartition("/")[0]
    return f"{obj.SINGULAR}.{group}/{obj.name}" if group else f"{obj.SINGULAR}/{obj.name}"


def declared_content(obj: Resource) -> dict[str, Any]:
    """What apply compares: everything a manifest declares (spec, data, labels, annotations...)."""
    body = obj.to_dict()
    body.pop("status", None)
    meta = body.get("metadata", {})
    body["metadata"] = {k: meta[k] for k in ("labels", "annotations", "ownerReferences") if k in meta}
    return body


def desired_on_existing(existing: Resource, desired: Resource) -> Resource:
    """The desired declaration on the existing object's identity (uid, resourceVersion, status...)."""
    merged = desired.model_copy(deep=True)
    keep = existing.metadata
    merged.metadata = merged.metadata.model_copy(
        update={
            "uid": keep.uid,
            "resource_version": keep.resource_version,
            "generation": keep.generation,
            "creation_timestamp": keep.creation_timestamp,
            "deletion_timestamp": keep.deletion_timestamp,
            "finalizers": keep.finalizers
            if merged.metadata.finalizers is None
            else merged.metadata.finalizers,
            "owner_references": merged.metadata.owner_references or keep.owner_references,
        }
    )
    if hasattr(existing, "status"):
        merged.status = existing.status  # type: ignore[attr-defined]
    return merged


async def apply_objects(store: Store, objects: Sequence[Resource]) -> list[ApplyResult]:
    """Create or update each object. Raises Invalid (naming the object and field) before writing
    anything when an update breaks the API's update rules, and Conflict (naming the object) when
    another writer created or changed it between this apply's read and its write: one winner, as
    Kubernetes' optimistic concurrency gives."""
    plan: list[tuple[Resource, Resource | None]] = []
    for obj in objects:
        kind = type(obj)
        try:
            existing = await store.get(kind, obj.name, obj.namespace if kind.NAMESPACED else None)
        except NotFound:
            existing = None
        if existing is not None and (errors := validate_update(existing, desired_on_existing(existing, obj))):
            raise Invalid(f"{display_name(obj)}: " + "; ".join(str(e) for e in errors))
        plan.append((obj, existing))
    results = []
    for obj, existing in plan:
        if existing is not None and declared_content(existing) == declared_content(obj):
            results.append(ApplyResult(existing, Applied.UNCHANGED))
            continue
        try:
            results.append(await _write(store, obj, existing))
        except (AlreadyExists, Conflict):
            raise Conflict(
                f"{display_name(obj)}: Conflict: another writer changed it while this apply ran "
                "(nothing of this document was written): apply again"
            ) from None
    return results


async def _write(store: Store, obj: Resource, existing: Resource | None) -> ApplyResult:
    """Create obj, or update existing to it; a concurrent writer makes this raise AlreadyExists or
    Conflict (the update is conditional on the resourceVersion read)."""
    if existing is None:
        fresh = obj.model_copy(deep=True)
        fresh.metadata.resource_version = None
        fresh.metadata.uid = None
        return ApplyResult(await store.create(fresh), Applied.CREATED)
    return ApplyResult(await store.update(desired_on_existing(existing, obj)), Applied.CONFIGURED)
