"""Kubernetes Events written to any Store, with repeats aggregated as the client-go recorder does.

A repeat of the same (object, type, reason, message, component) raises `count` and
`lastTimestamp` of one Event instead of writing a new one. The Event's name is derived from those
fields, so aggregation also works across restarts and between processes sharing a store.
Events are owned (ownerReferences) by the object they are about, so deleting the object deletes
its Events: the standalone store has no Event TTL to keep them from piling up.

Recording never makes the caller wait for the store, as client-go's broadcaster: the write is
queued and finishes in the background; `flush()` waits for every queued one (a graceful stop).
A store that can queue the write itself at once (`QueuesEvents`: SQLite) keeps it in order with
the caller's later reads and writes, so whoever sees a status written after an Event sees the Event.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from functools import partial
from typing import Protocol, runtime_checkable

from certpilot.api.common import ObjectReference
from certpilot.api.core import Event, EventSource
from certpilot.api.meta import ObjectMeta, OwnerReference, Resource
from certpilot.store.clock import Clock
from certpilot.store.errors import AlreadyExists, Conflict, NotFound, StoreError
from certpilot.store.protocol import Store

log = logging.getLogger(__name__)

# Events about cluster-scoped objects live here, as in Kubernetes.
CLUSTER_EVENTS_NAMESPACE = "default"
# Event writes queued and not yet committed; beyond this new events are dropped (client-go: 1000).
DEFAULT_MAX_QUEUED = 1000
_ATTEMPTS = 5
_NAME_PREFIX_MAX = 200


@runtime_checkable
class QueuesEvents(Protocol):
    def record_event(self, event: Event) -> asyncio.Future[None]:
        """Queue the create-or-count write of event now, ahead of anything submitted later."""
        ...


class StoreEventRecorder:
    """Implements runtime's EventRecorder on top of a Store. Recording never fails the caller: an
    event that cannot be written, or finds the queue full, is logged and dropped, as client-go does."""

    def __init__(
        self, store: Store, clock: Clock, component: str, *, max_queued: int = DEFAULT_MAX_QUEUED
    ) -> None:
        self._store = store
        self._queues_events = store if isinstance(store, QueuesEvents) else None
        self._clock = clock
        self._component = component
        self._max_queued = max_queued
        self._queued: set[asyncio.Future[None]] = set()
        # The last queued write of each event name (stores without QueuesEvents).
        self._latest: dict[str, asyncio.Future[None]] = {}

    async def event(self, obj: Resource, type_: str, reason: str, message: str) -> None:
        if len(self._queued) >= self._max_queued:
            log.warning(
                "dropped event %s %s about %s %s: %d event writes already queued",
                type_,
                reason,
                obj.KIND,
                obj.key,
                len(self._queued),
            )
            return
        event = self._event_about(obj, type_, reason, message)
        if self._queues_events is not None:
            queued = self._queues_events.record_event(event)
        else:
            # Repeats of one event are written in the order they happened, so the first one's
            # moment is firstTimestamp; different events are written concurrently.
            queued = asyncio.ensure_future(self._create_or_count(event, self._latest.get(event.name)))
            self._latest[event.name] = queued
            queued.add_done_callback(partial(self._forget_latest, event.name))
        self._queued.add(queued)
        queued.add_done_callback(self._written)

    async def flush(self) -> None:
        """Wait until every event recorded so far is written (or dropped with a warning)."""
        while self._queued:
            await asyncio.gather(*self._queued, return_exceptions=True)
            # Since Python 3.12 a gather of futures already done returns without yielding, before their
            # done callbacks (`_written`, which empties the set) have had their turn: give it to them.
            await asyncio.sleep(0)

    def _written(self, queued: asyncio.Future[None]) -> None:
        self._queued.discard(queued)
        if queued.cancelled():
            return
        error = queued.exception()
        if isinstance(error, StoreError):
            log.warning("dropped an event: %s", error)
        elif error is not None:
            log.error("dropped an event", exc_info=error)

    def _event_about(self, obj: Resource, type_: str, reason: str, message: str) -> Event:
        namespace = obj.namespace if obj.NAMESPACED and obj.namespace else CLUSTER_EVENTS_NAMESPACE
        now = self._clock.now()
        return Event(
            metadata=ObjectMeta(
                name=event_name(obj, type_, reason, message, self._component),
                namespace=namespace,
                owner_references=owned_by(obj),
            ),
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

    def _forget_latest(self, name: str, written: asyncio.Future[None]) -> None:
        if self._latest.get(name) is written:
            del self._latest[name]

    async def _create_or_count(self, fresh: Event, after: asyncio.Future[None] | None) -> None:
        """For stores without `QueuesEvents`: create first (most events are new); a repeat finds
        AlreadyExists and raises the count instead."""
        if after is not None:
            await asyncio.gather(after, return_exceptions=True)
        name, namespace = fresh.name, fresh.namespace
        for _ in range(_ATTEMPTS):
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
            existing.last_timestamp = fresh.last_timestamp
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
