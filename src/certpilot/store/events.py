"""Kubernetes Events written to any Store, with repeats aggregated as the client-go recorder does.

A repeat of the same (object, type, reason, message, component) raises `count` and
`lastTimestamp` of one Event instead of writing a new one. The Event's name is derived from those
fields, so aggregation also works across restarts and between processes sharing a store.
Events are owned (ownerReferences) by the object they are about, so deleting the object deletes
its Events: the standalone store has no Event TTL to keep them from piling up.
"""

from __future__ import annotations

import hashlib
import logging

from certpilot.api.common import ObjectReference
from certpilot.api.core import Event, EventSource
from certpilot.api.meta import ObjectMeta, OwnerReference, Resource
from certpilot.store.clock import Clock
from certpilot.store.errors import AlreadyExists, Conflict, NotFound, StoreError
from certpilot.store.protocol import Store

log = logging.getLogger(__name__)

# Events about cluster-scoped objects live here, as in Kubernetes.
CLUSTER_EVENTS_NAMESPACE = "default"
_ATTEMPTS = 5
_NAME_PREFIX_MAX = 200


class StoreEventRecorder:
    """Implements runtime's EventRecorder on top of a Store. Recording never fails the caller: an
    event that cannot be written is logged and dropped, as client-go does."""

    def __init__(self, store: Store, clock: Clock, component: str) -> None:
        self._store = store
        self._clock = clock
        self._component = component

    async def event(self, obj: Resource, type_: str, reason: str, message: str) -> None:
        try:
            await self._record(obj, type_, reason, message)
        except StoreError as exc:
            log.warning("dropped event %s %s about %s %s: %s", type_, reason, obj.KIND, obj.key, exc)

    async def _record(self, obj: Resource, type_: str, reason: str, message: str) -> None:
        namespace = obj.namespace if obj.NAMESPACED and obj.namespace else CLUSTER_EVENTS_NAMESPACE
        name = event_name(obj, type_, reason, message, self._component)
        # Create first: most events are new, and a read before every write would cost each one a
        # round trip to the store; a repeat finds AlreadyExists and raises the count instead.
        for _ in range(_ATTEMPTS):
            now = self._clock.now()
            fresh = Event(
                metadata=ObjectMeta(name=name, namespace=namespace, owner_references=owned_by(obj)),
                involved_object=involved_object(obj),
                reason=reason,
                message=message,
                type=type_,
                count=1,
                first_timestamp=now,
                last_timestamp=now,
                source=EventSource(component=self._component),
                reporting_component=self._component,
            )
            try:
                await self._store.create(fresh)
            except AlreadyExists:
                pass
            else:
                return
            try:
                existing = await self._store.get(Event, name, namespace)
            except NotFound:
                continue
            existing.count = (existing.count or 1) + 1
            existing.last_timestamp = now
            try:
                await self._store.update(existing)
            except (Conflict, NotFound):
                continue
            return
        raise Conflict(f"event {namespace}/{name} kept changing under {_ATTEMPTS} attempts to record it")


def owned_by(obj: Resource) -> list[OwnerReference] | None:
    if not obj.metadata.uid:
        return None
    return [OwnerReference(api_version=obj.API_VERSION, kind=obj.KIND, name=obj.name, uid=obj.metadata.uid)]


def involved_object(obj: Resource) -> ObjectReference:
    return ObjectReference(
        api_version=obj.API_VERSION,
        kind=obj.KIND,
        name=obj.name,
        namespace=obj.namespace if obj.NAMESPACED else None,
        uid=obj.metadata.uid,
        resource_version=obj.metadata.resource_version,
    )


def event_name(obj: Resource, type_: str, reason: str, message: str, component: str) -> str:
    """`<object name>.<16 hex>`: the same for every repeat of one event, different otherwise."""
    about = (obj.API_VERSION, obj.KIND, obj.namespace or "", obj.name, obj.metadata.uid or "")
    identity = "\x00".join((*about, type_, reason, message, component))
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return f"{obj.name[:_NAME_PREFIX_MAX]}.{digest}"
