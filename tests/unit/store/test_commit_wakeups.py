"""A commit wakes only the listeners of the kinds it changed; a change noticed from another
process (or the store closing) wakes every listener."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from functools import partial
from pathlib import Path

import pytest

from certpilot.store.errors import AlreadyExists
from certpilot.store.sqlite_ops import create_object
from certpilot.store.sqlite_thread import KindKey, Listener, SQLiteThread, Transaction, listeners_of

SECRETS: KindKey = ("v1", "Secret")
LEASES: KindKey = ("coordination.k8s.io/v1", "Lease")
WAIT_SECONDS = 10.0


def noop() -> None:
    return None


def other() -> None:
    return None


def test_a_commit_wakes_the_listeners_of_the_kinds_it_changed() -> None:
    listeners: dict[KindKey, set[Listener]] = {SECRETS: {noop}, LEASES: {other}}
    assert listeners_of(listeners, {SECRETS}) == [noop]
    assert listeners_of(listeners, {("v1", "Event")}) == []


def test_an_unknown_change_wakes_every_listener() -> None:
    listeners: dict[KindKey, set[Listener]] = {SECRETS: {noop}, LEASES: {other}}
    assert sorted(listeners_of(listeners, None), key=lambda f: f.__name__) == [noop, other]


class Wakeups:
    """Counts a listener's calls (made on the event loop that added it)."""

    def __init__(self) -> None:
        self.count = 0
        self.woken = threading.Event()

    def __call__(self) -> None:
        self.count += 1
        self.woken.set()


@pytest.fixture
async def thread(tmp_path: Path) -> AsyncIterator[SQLiteThread]:
    started = SQLiteThread(str(tmp_path / "store.db"), history_limit=100)
    yield started
    await asyncio.wrap_future(started.stop())


def create_secret(name: str) -> Callable[[Transaction], str]:
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"}}
    return partial(create_object, body=body, now="2026-01-01T00:00:00Z", has_status=False)


async def test_writes_wake_only_listeners_of_their_kind(thread: SQLiteThread) -> None:
    secrets, leases = Wakeups(), Wakeups()
    thread.add_listener(SECRETS, secrets)
    thread.add_listener(LEASES, leases)

    # Listeners are called after the commit, before the writer is resolved, in the same loop callback.
    await thread.write(create_secret("a"))
    assert (secrets.count, leases.count) == (1, 0)

    with pytest.raises(AlreadyExists):
        await thread.write(create_secret("a"))
    assert (secrets.count, leases.count) == (1, 0)

    thread.remove_listener(SECRETS, secrets)
    await thread.write(create_secret("b"))
    assert (secrets.count, leases.count) == (1, 0)


async def test_another_processes_commit_wakes_every_listener(thread: SQLiteThread, tmp_path: Path) -> None:
    leases = Wakeups()
    thread.add_listener(LEASES, leases)
    await thread.read(lambda connection: None)  # serving: it has read the file's data_version

    # A Secret committed through another connection: which kind changed is not known, so all wake.
    other = SQLiteThread(str(tmp_path / "store.db"), history_limit=100)
    try:
        await other.write(create_secret("theirs"))
    finally:
        await asyncio.wrap_future(other.stop())
    assert await asyncio.to_thread(leases.woken.wait, WAIT_SECONDS)


async def test_listeners_run_on_their_event_loop_before_the_writers_are_resolved(
    thread: SQLiteThread,
) -> None:
    calls: list[tuple[str, int]] = []
    thread.add_listener(SECRETS, lambda: calls.append(("secrets", threading.get_ident())))
    thread.add_listener(LEASES, lambda: calls.append(("leases", threading.get_ident())))
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l"}}
    create_lease = partial(create_object, body=lease, now="2026-01-01T00:00:00Z", has_status=False)
    secret_written = thread.submit_write(create_secret("s"))
    lease_written = thread.submit_write(create_lease)
    await asyncio.gather(secret_written, lease_written)
    assert sorted(calls) == [("leases", threading.get_ident()), ("secrets", threading.get_ident())]
