"""A second process writing to a SQLite store, for the multi-process and crash tests.

usage: store_child.py DB_PATH PREFIX COUNT
Creates Secrets PREFIX-0 .. PREFIX-(COUNT-1) (COUNT 0: forever), up to 10 at once so group commits
carry several writes, printing each name once its create() has returned (the write is acknowledged).
"""

from __future__ import annotations

import asyncio
import itertools
import sys

from certpilot.api.core import Secret
from certpilot.api.meta import ObjectMeta
from certpilot.store.sqlite import SQLiteStore

IN_FLIGHT = 10


async def write(path: str, prefix: str, count: int) -> None:
    store = SQLiteStore(path)
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def create(name: str) -> None:
        secret = Secret(metadata=ObjectMeta(name=name, namespace="default"), type="Opaque")
        secret.set_data("payload", name.encode() * 50)
        await store.create(secret)
        print(name, flush=True)
        slots.release()

    writes = []
    for i in range(count) if count else itertools.count():
        await slots.acquire()
        writes.append(asyncio.create_task(create(f"{prefix}-{i}")))
    await asyncio.gather(*writes)
    await store.close()


if __name__ == "__main__":
    asyncio.run(write(sys.argv[1], sys.argv[2], int(sys.argv[3])))
