"""The controller runner acts on each reconcile outcome: requeue, pending, permanent, backoff."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest

from certpilot.api.core import Secret
from certpilot.api.meta import ObjectMeta
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result
from certpilot.runtime.controller_runner import ControllerRunner, Outcome
from certpilot.runtime.errors import PendingError, PermanentError, RetryWithBackoff
from certpilot.server.metrics import CONTROLLER_SYNC_CALL_COUNT, CONTROLLER_SYNC_ERROR_COUNT
from certpilot.testing.clock import FakeClock

KEY = ObjectKey("ns", "web")


class ScriptedReconciler:
    """Reconciles by running the next step of a script (a reconciler stand-in: the runner's
    behaviour, not a controller's, is under test)."""

    def __init__(self, name: str, *steps: Callable[[], Result]) -> None:
        self.spec = ControllerSpec(name=name, primary=Secret)
        self.steps = list(steps)
        self.calls: list[ObjectKey] = []

    async def reconcile(self, key: ObjectKey) -> Result:
        self.calls.append(key)
        step = self.steps.pop(0) if self.steps else Result
        return step()


def raises(error: Exception) -> Callable[[], Result]:
    def step() -> Result:
        raise error

    return step


def runner_for(
    name: str, *steps: Callable[[], Result]
) -> tuple[ControllerRunner, ScriptedReconciler, FakeClock]:
    clock = FakeClock()
    reconciler = ScriptedReconciler(name, *steps)
    return ControllerRunner(reconciler, clock, workers=1), reconciler, clock


async def test_success_without_requeue_is_done() -> None:
    runner, _, _ = runner_for("ok")
    assert await runner.process(KEY) == Outcome.DONE
    assert runner.queue.waiting_until(KEY) is None
    assert CONTROLLER_SYNC_CALL_COUNT.value("ok") == 1
    assert CONTROLLER_SYNC_ERROR_COUNT.value("ok") == 0


async def test_requeue_after_schedules_timed_work() -> None:
    runner, _, clock = runner_for("timed", lambda: Result(requeue_after=3600))
    assert await runner.process(KEY) == Outcome.REQUEUED_AFTER
    assert runner.queue.waiting_until(KEY) == clock.now() + timedelta(seconds=3600)


async def test_pending_requeues_after_its_delay_without_backoff() -> None:
    runner, _, clock = runner_for(
        "pending", raises(RetryWithBackoff("flaky")), raises(PendingError("order processing", 10))
    )
    await runner.process(KEY)
    assert runner.queue.failures(KEY) == 1
    clock.advance(60)
    runner.queue.done(await asyncio.wait_for(runner.queue.get(), 5))  # type: ignore[arg-type]
    assert await runner.process(KEY) == Outcome.PENDING
    assert runner.queue.failures(KEY) == 0
    assert runner.queue.waiting_until(KEY) == clock.now() + timedelta(seconds=10)
    assert CONTROLLER_SYNC_ERROR_COUNT.value("pending") == 1


async def test_permanent_error_is_not_requeued() -> None:
    runner, _, _ = runner_for("permanent", raises(PermanentError("bad spec")))
    assert await runner.process(KEY) == Outcome.PERMANENT
    assert runner.queue.waiting_until(KEY) is None
    assert len(runner.queue) == 0
    assert CONTROLLER_SYNC_ERROR_COUNT.value("permanent") == 1


@pytest.mark.parametrize("error", [RetryWithBackoff("conflict"), RuntimeError("bug")])
async def test_retryable_and_unexpected_errors_back_off_growing(error: Exception) -> None:
    name = f"backoff-{type(error).__name__}"
    runner, _, clock = runner_for(name, raises(error), raises(error), raises(error), lambda: Result())
    due = []
    for _ in range(3):
        assert await runner.process(KEY) == Outcome.BACKOFF
        waiting = runner.queue.waiting_until(KEY)
        assert waiting is not None
        due.append((waiting - clock.now()).total_seconds())
        clock.set(waiting)
        runner.queue.done(await asyncio.wait_for(runner.queue.get(), 5))  # type: ignore[arg-type]
    assert due == [0.05, 0.1, 0.2]
    assert await runner.process(KEY) == Outcome.DONE
    assert runner.queue.failures(KEY) == 0, "success resets the backoff"
    assert CONTROLLER_SYNC_ERROR_COUNT.value(name) == 3
    assert CONTROLLER_SYNC_CALL_COUNT.value(name) == 4


async def test_workers_reconcile_queued_keys_and_stop_cleanly() -> None:
    runner, reconciler, _ = runner_for("workers")
    runner.start()
    runner.on_primary_event(
        "ADDED", None, Secret.model_validate({"metadata": {"name": "a", "namespace": "n"}})
    )
    mapped = runner.mapped_event_handler(lambda obj: [ObjectKey("n", "b"), ObjectKey("n", "c")])
    mapped("MODIFIED", None, Secret.model_validate({"metadata": {"name": "x", "namespace": "n"}}))
    for _ in range(500):
        if len(reconciler.calls) == 3:
            break
        await asyncio.sleep(0.01)
    assert sorted(reconciler.calls) == [ObjectKey("n", "a"), ObjectKey("n", "b"), ObjectKey("n", "c")]
    assert await runner.stop(grace_seconds=5) is True


async def test_stop_waits_for_an_inflight_reconcile() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[bool] = []

    class Slow:
        spec = ControllerSpec(name="slow", primary=Secret)

        async def reconcile(self, key: ObjectKey) -> Result:
            started.set()
            await release.wait()
            finished.append(True)
            return Result()

    runner = ControllerRunner(Slow(), FakeClock(), workers=1)
    runner.start()
    runner.queue.add(KEY)
    await asyncio.wait_for(started.wait(), 5)
    stopping = asyncio.ensure_future(runner.stop(grace_seconds=30))
    # One loop turn runs stop() up to its wait: a stop that did not wait for the reconcile is done here.
    await asyncio.sleep(0)
    assert not stopping.done()
    release.set()
    assert await asyncio.wait_for(stopping, 5) is True
    assert finished == [True]


def test_change_filters_drop_only_modifications_they_reject() -> None:
    runner, reconciler, _ = runner_for("filtered")
    reconciler.spec.primary_relevant = lambda old, new: old.metadata.labels != new.metadata.labels
    plain = Secret.model_validate({"metadata": {"name": "a", "namespace": "n"}})
    labelled = Secret.model_validate({"metadata": {"name": "a", "namespace": "n", "labels": {"x": "y"}}})
    runner.on_primary_event("MODIFIED", plain, plain.model_copy())
    assert len(runner.queue) == 0, "an irrelevant modification enqueues nothing"
    runner.on_primary_event("MODIFIED", plain, labelled)
    assert len(runner.queue) == 1
    mapped = runner.mapped_event_handler(lambda obj: [ObjectKey("n", "b")], lambda old, new: False)
    mapped("MODIFIED", plain, plain)
    assert len(runner.queue) == 1
    mapped("ADDED", None, plain)
    mapped("DELETED", None, plain)
    assert len(runner.queue) == 2, "additions and deletions always pass (b queued once)"


async def test_a_deleted_primary_is_reconciled_once_more_but_loses_its_timed_requeue() -> None:
    runner, _, _ = runner_for("deleted", lambda: Result(requeue_after=86_400 * 60))
    assert await runner.process(KEY) == Outcome.REQUEUED_AFTER
    deleted = Secret(metadata=ObjectMeta(name="web", namespace="ns", uid="u1"))
    runner.on_primary_event("DELETED", None, deleted)
    assert runner.queue.waiting_until(KEY) is None
    assert len(runner.queue) == 1, "queued now, so the controller can clean up"
