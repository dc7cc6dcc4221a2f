"""A controller whose reconciles never suspend still lets the rest of the event loop run."""

from __future__ import annotations

import asyncio

from certpilot.api.core import Secret
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result
from certpilot.runtime.controller_runner import ControllerRunner
from certpilot.testing.clock import FakeClock

KEYS = 200


class InstantReconciler:
    """Finds nothing to do and returns at once, as most reconciles after a restart do."""

    def __init__(self) -> None:
        self.spec = ControllerSpec(name="instant", primary=Secret)
        self.calls = 0

    async def reconcile(self, key: ObjectKey) -> Result:
        self.calls += 1
        return Result()


async def test_other_tasks_run_while_a_long_queue_is_worked_off() -> None:
    reconciler = InstantReconciler()
    runner = ControllerRunner(reconciler, FakeClock(), workers=1)
    for i in range(KEYS):
        runner.queue.add(ObjectKey("ns", f"key-{i}"))
    runner.start()
    seen_at: list[int] = []

    async def another_task() -> None:
        seen_at.append(reconciler.calls)

    await asyncio.create_task(another_task())
    # Generous: a loaded machine may take a while; only the order of events is asserted.
    for _ in range(2000):
        if reconciler.calls == KEYS:
            break
        await asyncio.sleep(0.01)
    assert await runner.stop(5.0)
    assert reconciler.calls == KEYS
    assert seen_at[0] < KEYS, "the worker ran the whole queue without letting another task run"
