"""Store backends for the contract suite, and builders for the objects it writes.

Every test that takes `store` runs once per backend. The Kubernetes backend runs only when
CERTPILOT_TEST_KUBECONFIG points at a real API server."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from store_harness import StoreFactory

from certpilot.store.protocol import Store
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture(params=["sqlite", "kubernetes"])
async def store(request: pytest.FixtureRequest, db_path: Path, clock: FakeClock) -> AsyncIterator[Store]:
    if request.param == "kubernetes":
        if not os.environ.get("CERTPILOT_TEST_KUBECONFIG"):
            pytest.skip("kubernetes backend: set CERTPILOT_TEST_KUBECONFIG to a real API server to run it")
        pytest.skip("kubernetes backend: certpilot.store.kubernetes is not written yet")
    backend = SQLiteStore(db_path, clock=clock)
    yield backend
    await backend.close()


@pytest.fixture
async def open_sqlite(db_path: Path, clock: FakeClock) -> AsyncIterator[StoreFactory]:
    """Opens SQLite stores on one file (a restart is close + open); all are closed at the end."""
    opened: list[SQLiteStore] = []

    def open_store(history_limit: int = 100_000) -> SQLiteStore:
        opened.append(SQLiteStore(db_path, clock=clock, history_limit=history_limit))
        return opened[-1]

    yield open_store
    for opened_store in opened:
        await opened_store.close()
