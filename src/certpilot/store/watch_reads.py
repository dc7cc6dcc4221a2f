"""The change reads of watches woken together, made in one database round trip.

A commit that changed Certificates, CertificateRequests and Secrets wakes three watches, and each
used to send its own read to the database thread: a future, a hand-off and a thread wake-up each,
and each answer a task resumed on its own. Reads asked for in one turn of the event loop are sent
as one read at the end of that turn (one snapshot of the change log) and answered together.
"""

from __future__ import annotations

import asyncio
from functools import partial

from certpilot.store import sqlite_ops
from certpilot.store.errors import Gone
from certpilot.store.sqlite_ops import Change, ChangeQuery
from certpilot.store.sqlite_thread import SQLiteThread

Asked = list[tuple[ChangeQuery, "asyncio.Future[list[Change]]"]]


class WatchReads:
    """For one event loop: `changes_after` futures, answered by one read per loop turn."""

    def __init__(self, thread: SQLiteThread, page: int) -> None:
        self._thread = thread
        self._page = page
        self._asked: Asked = []

    def changes_after(self, query: ChangeQuery) -> asyncio.Future[list[Change]]:
        """At most `page` changes the query asks for; Gone (raised) when the log is trimmed past it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Change]] = loop.create_future()
        if not self._asked:
            loop.call_soon(self._send)
        self._asked.append((query, future))
        return future

    def _send(self) -> None:
        asked, self._asked = self._asked, []
        read = self._thread.submit_read(
            partial(sqlite_ops.changes_after_each, queries=[query for query, _ in asked], limit=self._page)
        )
        read.add_done_callback(partial(answer, asked))


def answer(asked: Asked, read: asyncio.Future[list[list[Change] | Gone]]) -> None:
    """Hand each asker its own answer (or the read's error); askers that gave up are skipped."""
    error = None if read.cancelled() else read.exception()
    for index, (_, future) in enumerate(asked):
        if future.done():
            continue
        if read.cancelled():
            future.cancel()
        elif error is not None:
            future.set_exception(error)
        else:
            changes = read.result()[index]
            if isinstance(changes, Gone):
                future.set_exception(changes)
            else:
                future.set_result(changes)
