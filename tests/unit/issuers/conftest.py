"""Fixtures for the issuer backend tests: a real SQLite store and a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock
from tests.unit.issuers.issuer_material import NOW


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "store.db")
    yield s
    await s.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)
