"""Watches woken together read their changes in one database round trip, each getting its own
answer: its changes, Gone, or the read's error."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from certpilot.store.errors import Gone, Unavailable
from certpilot.store.sqlite_ops import Change, ChangeQuery, create_object
from certpilot.store.sqlite_thread import SQLiteThread, Transaction
from certpilot.store.watch_reads import WatchReads, answer

SECRETS = ChangeQuery("v1", "Secret", 0)
CONFIG_MAPS = ChangeQuery("v1", "ConfigMap", 0)


@pytest.fixture
async def thread(tmp_path: Path) -> AsyncIterator[SQLiteThread]:
    started = SQLiteThread(str(tmp_path / "store.db"), history_limit=100)
    yield started
    await asyncio.wrap_future(started.stop())


def create(kind: str, name: str) -> Callable[[Transaction], str]:
    body = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "default"}}
    return partial(create_object, body=body, now="2026-01-01T00:00:00Z", has_status=False)


async def test_reads_asked_in_one_loop_turn_go_to_the_database_together(thread: SQLiteThread) -> None:
    await thread.write(create("Secret", "s"))
    await thread.write(create("ConfigMap", "c"))
    sent: list[Any] = []
    submit_read = thread.submit_read

    def counted(fn: Any) -> Any:
        sent.append(fn)
        return submit_read(fn)

    thread.submit_read = counted  # type: ignore[method-assign]
    reads = WatchReads(thread, page=10)
    secrets, config_maps = reads.changes_after(SECRETS), reads.changes_after(CONFIG_MAPS)
    assert [[c.type for c in await secrets], [c.type for c in await config_maps]] == [["ADDED"], ["ADDED"]]
    assert len(sent) == 1
    assert (await reads.changes_after(ChangeQuery("v1", "Secret", (await secrets)[0].resource_version))) == []
    assert len(sent) == 2


async def test_each_asker_gets_its_own_answer_and_one_gone_spoils_no_other() -> None:
    loop = asyncio.get_running_loop()
    read: asyncio.Future[list[list[Change] | Gone]] = loop.create_future()
    gone, fine, gave_up = loop.create_future(), loop.create_future(), loop.create_future()
    gave_up.cancel()
    change = Change(7, "ADDED", "{}")
    read.set_result([Gone("trimmed"), [change], []])
    answer([(SECRETS, gone), (CONFIG_MAPS, fine), (SECRETS, gave_up)], read)
    with pytest.raises(Gone):
        gone.result()
    assert fine.result() == [change]
    assert gave_up.cancelled()


async def test_a_failed_read_fails_every_asker() -> None:
    loop = asyncio.get_running_loop()
    read: asyncio.Future[list[list[Change] | Gone]] = loop.create_future()
    first, second = loop.create_future(), loop.create_future()
    read.set_exception(Unavailable("closed"))
    answer([(SECRETS, first), (CONFIG_MAPS, second)], read)
    for asker in (first, second):
        with pytest.raises(Unavailable):
            asker.result()
