"""The manager: informers shared across controllers, workers, blocking pool, HTTP, graceful stop."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import aiohttp

from certpilot.api.core import Secret
from certpilot.api.issuer import Issuer
from certpilot.api.meta import Resource
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result, Watch
from certpilot.runtime.leader import LeaderElector
from certpilot.runtime.manager import Manager
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock
from tests.unit.runtime.runtime_builders import eventually, secret


class SecretLabeller:
    """A tiny real controller: labels each Secret `seen=yes`, using the cache, store and pool."""

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx
        self.spec = ControllerSpec(
            name="labeller",
            primary=Secret,
            watches=[Watch(Issuer, lambda obj: [ObjectKey(obj.namespace, f"{obj.name}-tls")])],
        )
        self.threads: list[str] = []
        self.reconciled: list[ObjectKey] = []

    async def reconcile(self, key: ObjectKey) -> Result:
        self.reconciled.append(key)
        self.threads.append(await self.ctx.run_blocking(lambda: threading.current_thread().name))
        cached = self.ctx.cache.get(Secret, key.name, key.namespace)
        if cached is None or (cached.metadata.labels or {}).get("seen") == "yes":
            return Result()
        fresh = cached.model_copy(deep=True)
        fresh.metadata.labels = {**(fresh.metadata.labels or {}), "seen": "yes"}
        await self.ctx.store.update(fresh)
        return Result()


def issuer(name: str) -> Resource:
    return Issuer.model_validate(
        {"metadata": {"name": name, "namespace": "default"}, "spec": {"selfSigned": {}}}
    )


async def test_manager_runs_controllers_and_stops(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.db")
    await store.create(secret("existing"))
    manager = Manager(store, workers_per_controller=2, thread_pool_size=2, listen="127.0.0.1:0")
    labeller = manager.add(SecretLabeller)
    assert isinstance(labeller, SecretLabeller)
    assert not manager.ready
    await manager.start()
    try:
        assert manager.ready
        assert manager.server is not None
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{manager.server.port}/readyz") as response,
        ):
            assert response.status == 200
        await store.create(secret("new"))
        for name in ("existing", "new"):
            await eventually(
                lambda n=name: (
                    (manager.cache.get(Secret, n, "default") or Secret()).metadata.labels == {"seen": "yes"}
                ),
                f"{name} labelled",
            )
        assert all(t.startswith("certpilot-blocking") for t in labeller.threads)
        # A watched kind's change enqueues the mapped primary key.
        await store.create(issuer("ca"))
        await eventually(lambda: ObjectKey("default", "ca-tls") in labeller.reconciled, "mapped key")
    finally:
        await manager.stop()
    assert not manager.ready


async def test_the_starting_lists_of_watched_kinds_are_not_mapped(tmp_path: Path) -> None:
    """Every primary is queued from its own list at start, so mapping each watched object of the
    start's lists would only queue them again: a watch maps changes once the workers run."""
    store = SQLiteStore(tmp_path / "store.db")
    await store.create(secret("existing"))
    await store.create(issuer("early"))
    manager = Manager(store, workers_per_controller=1, thread_pool_size=1)
    labeller = manager.add(SecretLabeller)
    await manager.start()
    try:
        await eventually(manager.idle, "the start's work done")
        assert labeller.reconciled.count(ObjectKey("default", "existing")) >= 1
        assert ObjectKey("default", "early-tls") not in labeller.reconciled
        await store.create(issuer("late"))
        await eventually(lambda: ObjectKey("default", "late-tls") in labeller.reconciled, "mapped key")
    finally:
        await manager.stop()


DAEMON = """
import asyncio, sys
from certpilot.runtime.manager import Manager
from certpilot.store.sqlite import SQLiteStore

async def main() -> None:
    manager = Manager(SQLiteStore(sys.argv[1]), listen="127.0.0.1:0", shutdown_grace_seconds=5)
    async def announce() -> None:
        while not manager.ready:
            await asyncio.sleep(0.01)
        print("ready", manager.server.port, flush=True)
    announcer = asyncio.ensure_future(announce())
    await manager.run_until_signal()
    announcer.cancel()
    print("stopped", flush=True)

asyncio.run(main())
"""


def test_daemon_exits_zero_promptly_on_sigterm(tmp_path: Path) -> None:
    daemon = subprocess.Popen(
        [sys.executable, "-c", DAEMON, str(tmp_path / "store.db")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert daemon.stdout is not None
        first = daemon.stdout.readline().split()
        assert first[0] == "ready", first
        os.kill(daemon.pid, signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
        assert daemon.stdout.read().strip() == "stopped"
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()


async def test_signal_while_starting_stops_cleanly(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.db")
    manager = Manager(store, cache_kinds=[Secret])
    running = asyncio.ensure_future(manager.run_until_signal(signals=(signal.SIGUSR1,)))
    await asyncio.sleep(0)
    os.kill(os.getpid(), signal.SIGUSR1)
    await asyncio.wait_for(running, 10)
    assert not manager.ready


async def test_a_standby_manager_starts_workers_only_after_taking_the_lease(tmp_path: Path) -> None:
    clock = FakeClock()
    path = tmp_path / "store.db"
    managers = []
    for identity in ("a", "b"):
        store = SQLiteStore(path)
        elector = LeaderElector(store, clock, identity, lease_duration=15, renew_deadline=10, retry_period=2)
        manager = Manager(store, clock, cache_kinds=[Secret], leader_elector=elector)
        manager.add(SecretLabeller)
        managers.append(manager)
    leader, standby = managers
    await leader.start()
    standby_start = asyncio.ensure_future(standby.start())
    await eventually(lambda: clock.sleepers >= 2, "standby campaigning")  # leader renewing, standby retrying
    assert leader.ready and not standby.ready
    await leader.stop()  # releases the lease
    while not standby_start.done():
        clock.advance(2)
        await asyncio.wait_for(clock.wait_for_sleep_or_end(standby_start), 10)
    await standby_start
    assert standby.ready
    await standby.stop()


async def test_kinds_the_store_does_not_serve_turn_off_only_what_needs_them(tmp_path: Path) -> None:
    """On Kubernetes a plugin's kind may have no CRD: a controller of that kind is off (its
    informer would never sync and hold every other controller back), one merely watching it runs."""
    store = SQLiteStore(tmp_path / "store.db")
    await store.create(secret("existing"))
    manager = Manager(
        store,
        workers_per_controller=1,
        thread_pool_size=1,
        served_kinds=[Secret],
        cache_kinds=[Secret, Issuer],
    )
    labeller = manager.add(SecretLabeller)
    manager.add(IssuerWatcher)
    assert [runner.name for runner in manager.runners] == ["labeller"]
    assert [informer.kind for informer in manager.cache.informers] == [Secret]
    await asyncio.wait_for(manager.start(), 10)
    try:
        await eventually(lambda: ObjectKey("default", "existing") in labeller.reconciled, "labelled")
    finally:
        await manager.stop()


class IssuerWatcher:
    """A controller of Issuers (here: a kind the store does not serve)."""

    def __init__(self, ctx: ControllerContext) -> None:
        self.spec = ControllerSpec(name="issuers", primary=Issuer)

    async def reconcile(self, key: ObjectKey) -> Result:
        raise AssertionError("a controller of an unserved kind ran")
