"""The event recorder never makes its caller wait for the store: writes are queued, a full queue
drops with a warning, and flush() waits for everything recorded so far."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import cast

import pytest

from certpilot.api.core import Event, Secret
from certpilot.api.meta import ObjectMeta
from certpilot.store.events import QueuesEvents, StoreEventRecorder
from certpilot.store.protocol import Store
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock


class GatedStore:
    """A store whose creates finish only once the gate opens (one without `QueuesEvents`)."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.created: list[Event] = []

    async def create(self, obj: Event) -> Event:
        await self.gate.wait()
        self.created.append(obj)
        return obj


def secret(name: str) -> Secret:
    return Secret(metadata=ObjectMeta(name=name, namespace="default", uid=f"uid-{name}"), type="Opaque")


async def test_recording_returns_before_the_store_has_written() -> None:
    store = GatedStore()
    recorder = StoreEventRecorder(cast(Store, store), FakeClock(), "certpilot")

    await recorder.event(secret("web"), "Normal", "Issued", "done")
    assert store.created == []

    flushing = asyncio.ensure_future(recorder.flush())
    await asyncio.sleep(0)
    assert not flushing.done()
    store.gate.set()
    await flushing
    assert [(e.reason, e.involved_object.name) for e in store.created] == [("Issued", "web")]


async def test_a_full_queue_drops_new_events_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    store = GatedStore()
    recorder = StoreEventRecorder(cast(Store, store), FakeClock(), "certpilot", max_queued=1)

    with caplog.at_level(logging.WARNING, logger="certpilot.store.events"):
        await recorder.event(secret("web"), "Normal", "Issued", "done")
        await recorder.event(secret("api"), "Normal", "Issued", "done")
    store.gate.set()
    await recorder.flush()

    assert [e.involved_object.name for e in store.created] == ["web"]
    assert "dropped event Normal Issued about Secret default/api" in caplog.text


async def test_sqlite_queues_event_writes_in_order_with_later_reads(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.db", clock=FakeClock())
    try:
        assert isinstance(store, QueuesEvents)
        recorder = StoreEventRecorder(store, FakeClock(), "certpilot")
        web = await store.create(secret("web"))
        for _ in range(3):
            await recorder.event(web, "Warning", "Failed", "issuer not ready")
        # Queued ahead of this read, all in one group commit: aggregated, and visible at once.
        events, _ = await store.list(Event, "default")
        assert [(e.reason, e.count) for e in events] == [("Failed", 3)]
        await recorder.flush()
    finally:
        await store.close()


async def test_events_of_a_closed_store_are_dropped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = SQLiteStore(tmp_path / "store.db", clock=FakeClock())
    web = await store.create(secret("web"))
    await store.close()
    recorder = StoreEventRecorder(store, FakeClock(), "certpilot")

    with caplog.at_level(logging.WARNING, logger="certpilot.store.events"):
        await recorder.event(web, "Normal", "Issued", "done")
        await recorder.flush()
    assert "dropped an event" in caplog.text and "is closed" in caplog.text
