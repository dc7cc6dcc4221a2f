"""SQLite store: watches resume across a restart of the store, and too-old resumes are Gone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from certpilot.api.certificate import Certificate
from certpilot.api.core import Secret
from certpilot.store.errors import Gone, Invalid, Unavailable
from certpilot.store.sqlite import SQLiteStore
from tests.contract.store_harness import StoreFactory
from tests.contract.store_objects import certificate, secret


async def test_watch_resumes_after_close_and_reopen(open_sqlite: StoreFactory) -> None:
    before = open_sqlite()
    await before.create(certificate("old"))
    _, listed_at = await before.list(Certificate)
    await before.create(certificate("while-running"))
    await before.close()

    after = open_sqlite()
    await after.create(certificate("after-restart"))
    stream = aiter(after.watch(Certificate, listed_at))
    names = [(await asyncio.wait_for(anext(stream), 5)).object.name for _ in range(2)]
    assert names == ["while-running", "after-restart"]
    await stream.aclose()  # type: ignore[attr-defined]


async def test_resource_versions_keep_growing_after_a_restart(open_sqlite: StoreFactory) -> None:
    before = open_sqlite()
    first = await before.create(secret("a"))
    await before.close()

    second = await open_sqlite().create(secret("b"))
    assert int(second.metadata.resource_version or "0") > int(first.metadata.resource_version or "0")


async def test_watch_from_a_trimmed_resource_version_is_gone(open_sqlite: StoreFactory) -> None:
    store = open_sqlite(history_limit=10)
    await store.create(secret("first"))
    _, listed_at = await store.list(Secret)
    for i in range(30):
        await store.create(secret(f"s{i}"))

    with pytest.raises(Gone):
        await anext(aiter(store.watch(Secret, listed_at)))

    _, relisted_at = await store.list(Secret)
    stream = aiter(store.watch(Secret, relisted_at))
    await store.create(secret("fresh"))
    assert (await asyncio.wait_for(anext(stream), 5)).object.name == "fresh"
    await stream.aclose()  # type: ignore[attr-defined]


async def test_watch_delivers_more_than_one_page(open_sqlite: StoreFactory) -> None:
    store = open_sqlite()
    await store.create(secret("first"))
    _, listed_at = await store.list(Secret)
    await asyncio.gather(*(store.create(secret(f"s{i:04d}")) for i in range(1200)))

    stream = aiter(store.watch(Secret, listed_at))
    seen = [(await asyncio.wait_for(anext(stream), 5)).object.name for _ in range(1200)]
    assert sorted(seen) == [f"s{i:04d}" for i in range(1200)]
    await stream.aclose()  # type: ignore[attr-defined]


async def test_a_watch_ends_when_the_store_closes(open_sqlite: StoreFactory) -> None:
    store = open_sqlite()
    _, listed_at = await store.list(Secret)

    async def drain() -> int:
        return len([event async for event in store.watch(Secret, listed_at)])

    watching = asyncio.create_task(drain())
    await asyncio.sleep(0.05)
    await store.close()
    assert await asyncio.wait_for(watching, 5) == 0


async def test_a_closed_store_refuses_work(open_sqlite: StoreFactory) -> None:
    store = open_sqlite()
    await store.close()
    with pytest.raises(Unavailable):
        await store.get(Secret, "a", "default")


async def test_a_resource_version_the_store_never_issued_is_invalid(open_sqlite: StoreFactory) -> None:
    store = open_sqlite()
    with pytest.raises(Invalid):
        await anext(aiter(store.watch(Secret, "not-a-number")))


async def test_an_unopenable_file_is_unavailable_with_its_path(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "missing-dir" / "store.db")
    with pytest.raises(Unavailable, match="missing-dir"):
        await store.get(Secret, "a", "default")
    await store.close()
