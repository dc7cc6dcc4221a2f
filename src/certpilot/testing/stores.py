"""A real certpilot store for tests that need one without a daemon, such as a plugin's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from certpilot.store.protocol import Store
from certpilot.store.sqlite import SQLiteStore


@asynccontextmanager
async def embedded_store(path: Path) -> AsyncIterator[Store]:
    """The embedded SQLite store the daemon runs on, in the file `path`, closed on exit."""
    store = SQLiteStore(path)
    try:
        yield store
    finally:
        await store.close()
