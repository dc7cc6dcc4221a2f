"""Fixtures: the certpilot daemon as a child process on a SQLite store in tmp_path, and this
process's own connection to the same store file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from certpilot.store.sqlite import SQLiteStore
from tests.e2e.certificates.daemon_harness import Daemon


@pytest.fixture
def daemon_factory(tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []

    def make(*extra: str) -> Daemon:
        daemon = Daemon(
            tmp_path / "store.db", tmp_path / "out", tmp_path / f"daemon-{len(started)}.log", list(extra)
        )
        daemon.start()
        started.append(daemon)
        return daemon

    yield make
    for daemon in started:
        daemon.stop()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "store.db")
    yield opened
    await opened.close()
