"""SQLite store shared by several processes: changes cross processes, and kill -9 loses nothing
that was acknowledged."""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from certpilot.api.core import Secret
from tests.contract.store_harness import StoreFactory
from tests.contract.store_objects import secret

CHILD = Path(__file__).with_name("store_child.py")


async def start_child(db_path: Path, prefix: str, count: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, str(CHILD), str(db_path), prefix, str(count), stdout=asyncio.subprocess.PIPE
    )


async def test_a_watch_sees_another_processes_write_within_a_second(
    open_sqlite: StoreFactory, db_path: Path
) -> None:
    store = open_sqlite()
    await store.create(secret("mine"))
    _, listed_at = await store.list(Secret)
    stream = aiter(store.watch(Secret, listed_at))
    pending = asyncio.ensure_future(anext(stream))

    child = await start_child(db_path, "theirs", 1)
    assert child.stdout is not None
    acknowledged = (await child.stdout.readline()).decode().strip()
    assert acknowledged == "theirs-0"

    event = await asyncio.wait_for(pending, 1.0)
    assert (event.type, event.object.name) == ("ADDED", "theirs-0")
    assert await child.wait() == 0
    await stream.aclose()  # type: ignore[attr-defined]


@pytest.mark.slow
async def test_kill_9_loses_no_acknowledged_write(open_sqlite: StoreFactory, db_path: Path) -> None:
    acknowledged: list[str] = []
    for round_ in range(4):
        child = await start_child(db_path, f"round{round_}", 0)
        assert child.stdout is not None
        first = await child.stdout.readline()  # writing has started
        await asyncio.sleep(random.uniform(0.05, 0.5))
        child.send_signal(signal.SIGKILL)
        rest = await child.stdout.read()
        await child.wait()
        acknowledged += [line.strip() for line in (first + rest).decode().splitlines() if line.strip()]

    print(f"{len(acknowledged)} acknowledged writes survived 4 kills")
    assert len(acknowledged) > 4
    connection = sqlite3.connect(db_path)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    connection.close()
    stored, _ = await open_sqlite().list(Secret)
    missing = set(acknowledged) - {s.name for s in stored}
    assert not missing


async def test_processes_writing_at_once_all_land_with_unique_resource_versions(
    open_sqlite: StoreFactory, db_path: Path
) -> None:
    store = open_sqlite()
    await store.create(secret("parent-first"))
    children = [await start_child(db_path, f"child{i}", 150) for i in range(2)]
    mine = await asyncio.gather(*(store.create(secret(f"parent-{i}")) for i in range(150)))
    outputs = [await child.communicate() for child in children]

    assert [child.returncode for child in children] == [0, 0]
    assert all(len(out.decode().split()) == 150 for out, _ in outputs)
    stored, _ = await store.list(Secret)
    assert len(stored) == 1 + 150 + 2 * 150
    assert len({s.metadata.resource_version for s in stored}) == len(stored)
    assert all(s.metadata.uid for s in mine)
