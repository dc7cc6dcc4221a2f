"""Real peers for ACME issuance end to end: BIND (authoritative for example.test, RFC2136 + TSIG, and the
DNS pebble resolves names with: its wildcard A record sends every name to 127.0.0.1) and pebble
variants, started once per session; the certpilot daemon runs in-process (Manager, every controller,
a real SQLite store) for each test."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from certpilot.controllers.acme.solving import SolverListeners
from certpilot.controllers.all_controllers import build_all
from certpilot.runtime.manager import Manager
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.peers.bind import BindServer, bind_server
from certpilot.testing.peers.pebble import PebbleServer
from certpilot.testing.peers.ports import free_port
from tests.e2e.acme_issuance.issuance_harness import (
    Daemon,
    daemon_options,
    start_pebble,
)

pytestmark = pytest.mark.peers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    missing = [b for b in ("pebble", "named", "openssl") if shutil.which(b) is None]
    if missing:
        skip = pytest.mark.skip(reason=f"needs {', '.join(missing)}: apt-get install pebble bind9 openssl")
        for item in items:
            if "acme_issuance" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def bind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BindServer]:
    server = bind_server(tmp_path_factory.mktemp("bind")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def http01_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def tlsalpn01_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def pebble_factory(
    tmp_path_factory: pytest.TempPathFactory, bind: BindServer, http01_port: int, tlsalpn01_port: int
) -> Iterator[Callable[..., PebbleServer]]:
    """Starts a pebble variant (once per session per name) resolving names at BIND."""
    started: dict[str, PebbleServer] = {}

    def pebble(name: str = "plain", **options: Any) -> PebbleServer:
        if name not in started:
            started[name] = start_pebble(
                tmp_path_factory.mktemp(f"pebble-{name}"), bind, http01_port, tlsalpn01_port, **options
            )
        return started[name]

    yield pebble
    for server in started.values():
        server.stop()


@pytest.fixture(scope="session")
def pebble(pebble_factory: Callable[..., PebbleServer]) -> PebbleServer:
    return pebble_factory()


@pytest.fixture
async def daemons(
    tmp_path: Path, bind: BindServer, http01_port: int, tlsalpn01_port: int
) -> AsyncIterator[Callable[..., Awaitable[Daemon]]]:
    """`await daemons(**option_overrides)` starts a daemon; every one is stopped (listeners too)
    when the test ends."""
    started: list[tuple[Manager, SolverListeners]] = []

    async def start(workers: int = 2, **overrides: Any) -> Daemon:
        options = daemon_options(bind, http01_port, tlsalpn01_port, **overrides)
        store = SQLiteStore(tmp_path / f"store-{len(started)}.db")
        listeners = SolverListeners.from_options(options)
        manager = Manager(store, workers_per_controller=workers, thread_pool_size=8, shutdown_grace_seconds=5)
        for factory in build_all(options, listeners):
            manager.add(factory)
        await manager.start()
        started.append((manager, listeners))
        return Daemon(store, options, bind)

    yield start
    for manager, listeners in started:
        await manager.stop()
        await listeners.stop()
