"""The one thread that owns a SQLite store's connection.

Every read and write of a store runs here, so the event loop never blocks on SQLite. Writes use
group commit: all writes queued while the previous batch was committing go into one transaction,
each in its own savepoint (one failing write does not undo the others), and every caller is
resolved only after that transaction has committed. After each commit only the listeners of the
kinds it changed are called (a watch of Secrets does not wake for an Event); when another process's
commit is noticed (PRAGMA data_version is polled while anyone listens) every listener is called,
since what it changed is not known. Listeners run on their event loop, in the same callback that
resolves the batch's futures: one wake-up of the loop per batch, however many watches it wakes.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from certpilot.store.errors import StoreError, Unavailable
from certpilot.store.sealing import EncryptionKeyError, Sealing, StoreConnection
from certpilot.store.sqlite_integrity import damaged, is_damage
from certpilot.store.sqlite_schema import open_connection

R = TypeVar("R")

# How often another process's commits are looked for while someone watches.
POLL_INTERVAL_S = 0.15

# (apiVersion, kind): what a listener listens to and what a commit changed.
KindKey = tuple[str, str]
Listener = Callable[[], None]


class Transaction:
    """The open write transaction a write function runs in, and the resourceVersions it hands out."""

    def __init__(self, connection: StoreConnection, resource_version: int) -> None:
        self.connection = connection
        self.resource_version = resource_version
        # The kinds this transaction logged changes of: whose listeners the commit wakes.
        self.changed_kinds: set[KindKey] = set()

    def next_resource_version(self) -> int:
        self.resource_version += 1
        return self.resource_version

    def changed(self, api_version: str, kind: str) -> None:
        self.changed_kinds.add((api_version, kind))


@dataclass
class _Request:
    fn: Callable[[Any], Any]
    future: asyncio.Future[Any]
    write: bool


Outcome = tuple[asyncio.Future[Any], Any, BaseException | None]
LoopListener = tuple[asyncio.AbstractEventLoop, Listener]


_STOP = object()


class SQLiteThread:
    def __init__(self, path: str, history_limit: int, sealing: Sealing | None = None) -> None:
        self._path = path
        self._sealing = sealing or Sealing()
        self._history_limit = history_limit
        self._queue: queue.SimpleQueue[_Request | object] = queue.SimpleQueue()
        self._listeners: dict[KindKey, set[Listener]] = {}
        self._loops: dict[Listener, asyncio.AbstractEventLoop] = {}
        self._lock = threading.Lock()
        self._stopping = False
        # Why the file could not be opened: what every request gets, also those made afterwards.
        self._open_failure: StoreError | None = None
        self._stopped: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, name=f"certpilot-sqlite:{path}", daemon=True)
        self._thread.start()

    async def read(self, fn: Callable[[StoreConnection], R]) -> R:
        return await self._submit(fn, write=False)

    async def write(self, fn: Callable[[Transaction], R]) -> R:
        return await self._submit(fn, write=True)

    def submit_read(self, fn: Callable[[StoreConnection], R]) -> asyncio.Future[R]:
        """Queue a read now and return its future."""
        return self._submit(fn, write=False)

    def submit_write(self, fn: Callable[[Transaction], R]) -> asyncio.Future[R]:
        """Queue a write now (ordered before anything submitted later) and return its future."""
        return self._submit(fn, write=True)

    def add_listener(self, kind: KindKey, listener: Listener) -> None:
        """Call listener (on the running event loop) after commits that changed kind, and whenever
        another process may have changed anything."""
        loop = asyncio.get_running_loop()
        with self._lock:
            self._listeners.setdefault(kind, set()).add(listener)
            self._loops[listener] = loop

    def remove_listener(self, kind: KindKey, listener: Listener) -> None:
        with self._lock:
            listeners = self._listeners.get(kind)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del self._listeners[kind]
            if not any(listener in others for others in self._listeners.values()):
                self._loops.pop(listener, None)

    def stop(self) -> Future[None]:
        """Finish what is queued, close the connection; resolved when the thread has ended."""
        with self._lock:
            if not self._stopping:
                self._stopping = True
                self._queue.put(_STOP)
        return self._stopped

    def _submit(self, fn: Callable[[Any], R], write: bool) -> asyncio.Future[R]:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        with self._lock:
            if self._stopping:
                future.set_exception(self._open_failure or Unavailable(f"the store {self._path} is closed"))
                return future
            self._queue.put(_Request(fn, future, write))
        return future

    def _run(self) -> None:
        try:
            connection = open_connection(self._path, self._sealing)
        except EncryptionKeyError as exc:
            self._open_failure = exc
        except sqlite3.Error as exc:
            damage = damaged(self._path, str(exc)) if is_damage(exc) else None
            self._open_failure = damage or Unavailable(f"cannot open the store {self._path}: {exc}")
        except Exception as exc:
            self._open_failure = Unavailable(f"cannot open the store {self._path}: {exc}")
        if self._open_failure is not None:
            self._fail_everything(self._open_failure)
            return
        try:
            self._serve(connection)
        finally:
            connection.close()
            _settle([], self._listeners_of(None))
            # Also reached if serving failed unexpectedly: nobody may be left waiting forever.
            self._fail_everything(Unavailable(f"the store {self._path} is closed"))

    def _serve(self, connection: StoreConnection) -> None:
        data_version = _data_version(connection)
        last_poll = time.monotonic()
        while True:
            try:
                first = self._queue.get(timeout=POLL_INTERVAL_S)
            except queue.Empty:
                first = None
            batch = [] if first is None else [first, *self._drain()]
            stop = any(item is _STOP for item in batch)
            requests = [item for item in batch if isinstance(item, _Request)]
            # Reading another thread's future state is racy but harmless: a request cancelled
            # just after this check runs anyway, exactly as if it had been cancelled while running.
            runnable = [r for r in requests if not r.future.cancelled()]
            writes = [r for r in runnable if r.write]
            outcomes, changed = self._commit_batch(connection, writes) if writes else ([], set())
            outcomes += [_read(request, connection, self._path) for request in runnable if not request.write]
            _settle(outcomes, self._listeners_of(changed) if changed else [])
            if stop:
                return
            if self._has_listeners() and time.monotonic() - last_poll >= POLL_INTERVAL_S:
                last_poll = time.monotonic()
                current = _data_version(connection)
                if current != data_version:
                    data_version = current
                    _settle([], self._listeners_of(None))

    def _drain(self) -> list[_Request | object]:
        items: list[_Request | object] = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return items

    def _commit_batch(
        self, connection: StoreConnection, writes: list[_Request]
    ) -> tuple[list[Outcome], set[KindKey]]:
        """The writes' outcomes, and the kinds the committed transaction changed."""
        outcomes: list[Outcome] = []
        try:
            connection.execute("BEGIN IMMEDIATE")
            start = _stored_resource_version(connection)
            transaction = Transaction(connection, start)
            for request in writes:
                before = transaction.resource_version
                changed_before = set(transaction.changed_kinds)
                connection.execute("SAVEPOINT write")
                try:
                    result = request.fn(transaction)
                except Exception as exc:
                    connection.execute("ROLLBACK TO write")
                    transaction.resource_version = before
                    transaction.changed_kinds = changed_before
                    outcomes.append((request.future, None, exc))
                else:
                    outcomes.append((request.future, result, None))
                connection.execute("RELEASE write")
            if transaction.resource_version != start:
                _save_resource_version(connection, transaction.resource_version)
                _trim_changes(connection, transaction.resource_version, self._history_limit)
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            failure = (
                damaged(self._path, str(exc))
                if is_damage(exc)
                else Unavailable(f"the store {self._path} could not commit: {exc}")
            )
            return [(request.future, None, failure) for request in writes], set()
        if transaction.resource_version == start:
            return outcomes, set()
        return outcomes, transaction.changed_kinds

    def _has_listeners(self) -> bool:
        with self._lock:
            return bool(self._listeners)

    def _listeners_of(self, kinds: set[KindKey] | None) -> list[LoopListener]:
        """The listeners to call for kinds (None: every listener), each with its event loop."""
        with self._lock:
            return [(self._loops[listener], listener) for listener in listeners_of(self._listeners, kinds)]

    def _fail_everything(self, error: StoreError) -> None:
        with self._lock:
            self._stopping = True
        _settle([(item.future, None, error) for item in self._drain() if isinstance(item, _Request)], [])
        self._stopped.set_result(None)


def listeners_of(listeners: dict[KindKey, set[Listener]], kinds: set[KindKey] | None) -> list[Listener]:
    """The listeners a commit wakes: those of the kinds it changed, or all when that is unknown."""
    chosen = listeners.keys() if kinds is None else listeners.keys() & kinds
    return [listener for kind in chosen for listener in listeners[kind]]


def _read(request: _Request, connection: StoreConnection, path: str) -> Outcome:
    try:
        return (request.future, request.fn(connection), None)
    except sqlite3.Error as exc:
        failure = damaged(path, str(exc)) if is_damage(exc) else None
        return (request.future, None, failure or Unavailable(f"the store {path} could not be read: {exc}"))
    except Exception as exc:
        return (request.future, None, exc)


def _settle(outcomes: list[Outcome], listeners: list[LoopListener]) -> None:
    """Call listeners, then resolve futures, with one wake-up per event loop instead of one per
    listener and per future."""
    by_loop: dict[asyncio.AbstractEventLoop, tuple[list[Listener], list[Outcome]]] = {}
    for loop, listener in listeners:
        by_loop.setdefault(loop, ([], []))[0].append(listener)
    for outcome in outcomes:
        by_loop.setdefault(outcome[0].get_loop(), ([], []))[1].append(outcome)
    for loop, (to_call, to_set) in by_loop.items():
        # A loop that has closed has no one left waiting.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_deliver, to_call, to_set)


def _deliver(listeners: list[Listener], outcomes: list[Outcome]) -> None:
    for listener in listeners:
        listener()
    for future, result, error in outcomes:
        if future.cancelled():
            continue
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)


def _data_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA data_version").fetchone()[0])


def _stored_resource_version(connection: sqlite3.Connection) -> int:
    row = connection.execute("SELECT value FROM meta WHERE key = 'resource_version'").fetchone()
    return int(row[0])


def _save_resource_version(connection: sqlite3.Connection, resource_version: int) -> None:
    connection.execute("UPDATE meta SET value = ? WHERE key = 'resource_version'", (resource_version,))


def _trim_changes(connection: sqlite3.Connection, resource_version: int, history_limit: int) -> None:
    """Keep the newest history_limit changes; trim in steps of a tenth so it is not every commit."""
    row = connection.execute("SELECT value FROM meta WHERE key = 'compacted_through'").fetchone()
    compacted_through = int(row[0])
    keep_from = resource_version - history_limit
    if keep_from - compacted_through < max(1, history_limit // 10):
        return
    connection.execute("DELETE FROM changes WHERE rv <= ?", (keep_from,))
    connection.execute("UPDATE meta SET value = ? WHERE key = 'compacted_through'", (keep_from,))
