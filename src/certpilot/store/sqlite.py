"""The embedded Store: Kubernetes API semantics on one SQLite file, shareable by several processes.

Models become JSON bodies at this boundary (`to_dict()` going in, `model_validate_json` of the
stored text coming out), so everything below works on plain dicts and every object returned is a
fresh copy.
"""

from __future__ import annotations

import asyncio
import builtins
import math
import weakref
from collections.abc import AsyncIterator, Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from certpilot.api.core import Event
from certpilot.api.meta import Resource
from certpilot.store import sqlite_ops
from certpilot.store.bodies import body_of, namespace_of
from certpilot.store.clock import Clock, UtcClock
from certpilot.store.errors import Invalid
from certpilot.store.protocol import WatchEvent, WatchEventType
from certpilot.store.rules import format_timestamp
from certpilot.store.sealing import Sealing
from certpilot.store.selectors import LabelSelector, labels_match, parse_label_selector
from certpilot.store.sqlite_backup import write_backup
from certpilot.store.sqlite_integrity import check_integrity
from certpilot.store.sqlite_ops import Change, ChangeQuery, ObjectId
from certpilot.store.sqlite_thread import SQLiteThread, Transaction
from certpilot.store.watch_reads import WatchReads

T = TypeVar("T", bound=Resource)
R = TypeVar("R")

# Change-log entries kept for resuming watches; older resourceVersions get Gone.
DEFAULT_HISTORY_LIMIT = 100_000
# Changes fetched per watch read.
_WATCH_PAGE = 500


class SQLiteStore:
    def __init__(
        self,
        path: str | Path,
        *,
        clock: Clock | None = None,
        history_limit: int = DEFAULT_HISTORY_LIMIT,
        sealing: Sealing | None = None,
    ) -> None:
        """sealing: the keys that encrypt Secrets at rest (store/sealing.py); none by default."""
        self.path = Path(path)
        self._clock: Clock = clock or UtcClock()
        self._thread = SQLiteThread(str(self.path), history_limit, sealing or Sealing())
        self._closed = False
        self._formatted_second: int | None = None
        self._formatted_now = ""
        self._watch_reads: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, WatchReads] = (
            weakref.WeakKeyDictionary()
        )

    async def check_open(self) -> None:
        """Raise now what opening the file failed with (Unavailable, EncryptionKeyError), instead of
        at the first read or write."""
        await self._read(_nothing)

    async def get(self, kind: type[T], name: str, namespace: str | None = None) -> T:
        oid = _object_id(kind, name, namespace)
        text = await self._read(partial(sqlite_ops.get_object_text, oid=oid))
        return kind.model_validate_json(text)

    async def list(
        self,
        kind: type[T],
        namespace: str | None = None,
        label_selector: str | None = None,
    ) -> tuple[builtins.list[T], str]:
        selector = parse_label_selector(label_selector)
        scope = None if namespace is None else _namespace_of(kind, namespace)
        texts, resource_version = await self._read(
            partial(sqlite_ops.list_objects, api_version=kind.API_VERSION, kind=kind.KIND, namespace=scope)
        )
        validated = (kind.model_validate_json(text) for text in texts)
        items = [item for item in validated if labels_match(selector, item.metadata.labels)]
        return items, str(resource_version)

    async def watch(
        self, kind: type[T], resource_version: str | None = None, label_selector: str | None = None
    ) -> AsyncIterator[WatchEvent[T]]:
        """Changes after resource_version, in order. Without one (or "0"), the current objects come
        first as ADDED, as a Kubernetes watch without resourceVersion does. Ends when the store closes."""
        selector = parse_label_selector(label_selector)
        loop = asyncio.get_running_loop()
        woken = asyncio.Event()
        wake = woken.set
        watched = (kind.API_VERSION, kind.KIND)
        reads = self._watch_reads.get(loop)
        if reads is None:
            reads = self._watch_reads[loop] = WatchReads(self._thread, _WATCH_PAGE)
        self._thread.add_listener(watched, wake)
        try:
            # Lists are consumed by pop(), and no event stays in a local: while this generator
            # waits for the next change it holds nothing, so a deleted object is not kept alive
            # (with its shared parts) by the page that reported it.
            if resource_version in (None, "", "0"):
                items, listed_at = await self.list(kind, label_selector=label_selector)
                last = int(listed_at)
                items.reverse()
                while items:
                    yield WatchEvent("ADDED", items.pop())
            else:
                last = _parse_resource_version(resource_version)
            while not self._closed:
                woken.clear()
                changes = await reads.changes_after(ChangeQuery(kind.API_VERSION, kind.KIND, last))
                full_page = len(changes) == _WATCH_PAGE
                changes.reverse()
                while changes:
                    last, event = _watch_event(kind, selector, changes.pop())
                    if event is not None:
                        yield event
                        event = None
                if not full_page and not self._closed:
                    await woken.wait()
        finally:
            self._thread.remove_listener(watched, wake)

    async def create(self, obj: T) -> T:
        body = body_of(obj)
        stored = await self._write(
            partial(sqlite_ops.create_object, body=body, now=self._now(), has_status=obj.HAS_STATUS)
        )
        return type(obj).model_validate_json(stored)

    async def update(self, obj: T) -> T:
        body = body_of(obj)
        stored = await self._write(
            partial(sqlite_ops.update_object, incoming=body, now=self._now(), has_status=obj.HAS_STATUS)
        )
        return type(obj).model_validate_json(stored)

    async def update_status(self, obj: T) -> T:
        if not obj.HAS_STATUS:
            raise Invalid(f"{obj.KIND} has no status subresource: use update()")
        body = body_of(obj)
        stored = await self._write(partial(sqlite_ops.update_object_status, incoming=body, now=self._now()))
        return type(obj).model_validate_json(stored)

    async def delete(self, kind: type[T], name: str, namespace: str | None = None) -> None:
        oid = _object_id(kind, name, namespace)
        await self._write(partial(sqlite_ops.delete_object, oid=oid, now=self._now()))

    def record_event(self, event: Event) -> asyncio.Future[None]:
        """Queue event's create-or-count write (see `sqlite_ops.record_event`) at once, ahead of any
        read or write started after this call, without waiting for it: resolved once committed."""
        body = body_of(event)
        return self._thread.submit_write(partial(sqlite_ops.record_event, event=body, now=self._now()))

    async def verify_integrity(self, *, thorough: bool = False) -> None:
        """Raise errors.Damaged if the file is corrupt or truncated (sqlite_integrity.py)."""
        await self._read(partial(check_integrity, path=self.path, thorough=thorough))

    async def backup_to(self, destination: Path) -> None:
        """Write a consistent copy of the store to destination while others keep writing."""
        await self._read(partial(write_backup, destination=destination))

    async def close(self) -> None:
        """Finish queued work, close the file; watches end."""
        self._closed = True
        await asyncio.wrap_future(self._thread.stop())

    async def _read(self, fn: Callable[..., R]) -> R:
        return await self._thread.read(fn)

    async def _write(self, fn: Callable[[Transaction], R]) -> R:
        return await self._thread.write(fn)

    def _now(self) -> str:
        moment = self._clock.now()
        second = math.floor(moment.timestamp())
        # Timestamps have second precision: many writes a second share one formatting.
        if second != self._formatted_second:
            self._formatted_second, self._formatted_now = second, format_timestamp(moment)
        return self._formatted_now


def _nothing(_: object) -> None:
    return None


def _namespace_of(kind: type[Resource], namespace: str | None) -> str:
    """The stored namespace column: "" for cluster-scoped kinds."""
    return namespace_of(kind, namespace) or ""


def _object_id(kind: type[Resource], name: str, namespace: str | None) -> ObjectId:
    return ObjectId(kind.API_VERSION, kind.KIND, _namespace_of(kind, namespace), name)


def _parse_resource_version(resource_version: str) -> int:
    try:
        return int(resource_version)
    except ValueError:
        raise Invalid(f"resourceVersion {resource_version!r} is not one this store issued") from None


def _watch_event(kind: type[T], selector: LabelSelector, change: Change) -> tuple[int, WatchEvent[T] | None]:
    """The change's resourceVersion and what a watch with `selector` reports of it (None: nothing)."""
    event_type: WatchEventType = change.type  # type: ignore[assignment]
    changed = kind.model_validate_json(change.text)
    if not labels_match(selector, changed.metadata.labels):
        # Only a modification can end a match; other events of it were never seen.
        if event_type != "MODIFIED":
            return change.resource_version, None
        event_type = "DELETED"
    return change.resource_version, WatchEvent(event_type, changed)
