"""How every CLI command finds and opens the store."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from certpilot.store.sqlite import SQLiteStore

STORE_ENV = "CERTPILOT_STORE"


def default_store_path() -> Path:
    """`$CERTPILOT_STORE`, else `$XDG_DATA_HOME/certpilot/store.db` (~/.local/share/...)."""
    if env := os.environ.get(STORE_ENV):
        return Path(env)
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "certpilot" / "store.db"


def resolve_store_path(option: Path | None) -> Path:
    return option if option is not None else default_store_path()


@asynccontextmanager
async def open_store(path: Path) -> AsyncIterator[SQLiteStore]:
    path.parent.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(path)
    try:
        yield store
    finally:
        await store.close()
