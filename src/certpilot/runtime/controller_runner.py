"""Runs one controller: N async workers take keys from its queue and reconcile them.

The runtime, not each controller, acts on a reconcile's outcome:
- Result(requeue_after=s) -> reset backoff, reconcile again in s seconds (timed work);
- PendingError -> reset backoff, look again after its requeue_after (no backoff growth);
- PermanentError -> reset backoff, no requeue: the next change to the object retries;
- RetryWithBackoff or any other exception -> requeue with the key's next backoff delay.
"""

from __future__ import annotations

import asyncio
import enum
import logging

from certpilot.api.meta import Resource
from certpilot.runtime.clock import Clock
from certpilot.runtime.controller import ChangeFilter, KeyMapper, ObjectKey, Reconciler, Result
from certpilot.runtime.errors import PendingError, PermanentError, ReconcileError
from certpilot.runtime.informer import ChangeHandler
from certpilot.runtime.workqueue import WorkQueue
from certpilot.server.metrics import CONTROLLER_SYNC_CALL_COUNT, CONTROLLER_SYNC_ERROR_COUNT
from certpilot.store.errors import Conflict, StoreError
from certpilot.store.protocol import WatchEventType

log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    DONE = "done"
    REQUEUED_AFTER = "requeued-after"
    PENDING = "pending"
    PERMANENT = "permanent"
    BACKOFF = "backoff"


class ControllerRunner:
    def __init__(self, reconciler: Reconciler, clock: Clock, *, workers: int = 2) -> None:
        if workers < 1:
            raise ValueError(f"a controller needs at least one worker, got {workers}")
        self.reconciler = reconciler
        self.name = reconciler.spec.name
        self.queue = WorkQueue(clock)
        self._workers = workers
        self._tasks: list[asyncio.Task[None]] = []

    def on_primary_event(self, type_: WatchEventType, old: Resource | None, obj: Resource) -> None:
        relevant = self.reconciler.spec.primary_relevant
        if old is not None and relevant is not None and not relevant(old, obj):
            return
        key = ObjectKey.of(obj)
        if type_ == "DELETED":
            # Reconciled once more (to clean up), but no longer at a time set for the old object.
            self.queue.drop_timed(key)
        self.queue.add(key)

    def mapped_event_handler(
        self, to_keys: KeyMapper, relevant: ChangeFilter | None = None
    ) -> ChangeHandler[Resource]:
        """A handler that enqueues the primary keys `to_keys(obj)` names for a secondary object."""

        def handle(_: WatchEventType, old: Resource | None, obj: Resource) -> None:
            if old is not None and relevant is not None and not relevant(old, obj):
                return
            for key in to_keys(obj):
                self.queue.add(key)

        return handle

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._work(), name=f"{self.name}-worker-{i}") for i in range(self._workers)
        ]

    async def stop(self, grace_seconds: float) -> bool:
        """Stop taking keys; wait up to grace_seconds for in-flight reconciles. True if all finished."""
        self.queue.shut_down()
        if not self._tasks:
            return True
        _, pending = await asyncio.wait(self._tasks, timeout=grace_seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
            log.warning(
                "reconciles still running at shutdown were cancelled",
                extra={"controller": self.name, "cancelled": len(pending)},
            )
        self._tasks = []
        return not pending

    async def _work(self) -> None:
        while True:
            key = await self.queue.get()
            if key is None:
                return
            try:
                await self.process(key)
            finally:
                self.queue.done(key)
            # A reconcile that finds nothing to do never suspends, and neither does get() while
            # keys are queued: yield, or one busy controller starves the others, the informers
            # and /healthz (10,000 Certificates checked after a restart took seconds of loop).
            # With none queued get() suspends anyway, so a yield would only cost a loop turn.
            if self.queue:
                await asyncio.sleep(0)

    async def process(self, key: ObjectKey) -> Outcome:
        """Reconcile one key and act on the result or error (the caller owns get/done)."""
        CONTROLLER_SYNC_CALL_COUNT.inc(self.name)
        try:
            result = await self.reconciler.reconcile(key)
        except asyncio.CancelledError:
            raise
        except PendingError as pending:
            self.queue.forget(key)
            self.queue.add_after(key, pending.requeue_after)
            log.info(
                "pending",
                extra={
                    "controller": self.name,
                    "key": str(key),
                    "reason": str(pending),
                    "retry_in": pending.requeue_after,
                },
            )
            return Outcome.PENDING
        except PermanentError as permanent:
            CONTROLLER_SYNC_ERROR_COUNT.inc(self.name)
            self.queue.forget(key)
            log.error(
                "cannot succeed until the object changes",
                extra={"controller": self.name, "key": str(key), "reason": str(permanent)},
            )
            return Outcome.PERMANENT
        except Conflict as conflict:
            # Another writer got there first: normal under concurrency, so retry at once,
            # quietly, without counting an error.
            delay = self.queue.add_rate_limited(key)
            log.debug(
                "conflict, retrying",
                extra={"controller": self.name, "key": str(key), "reason": str(conflict)},
            )
            return Outcome.BACKOFF
        except Exception as error:
            CONTROLLER_SYNC_ERROR_COUNT.inc(self.name)
            delay = self.queue.add_rate_limited(key)
            log.error(
                "reconcile failed, will retry",
                exc_info=not _is_expected(error),
                extra={
                    "controller": self.name,
                    "key": str(key),
                    "reason": f"{type(error).__name__}: {error}",
                    "retry_in": delay,
                },
            )
            return Outcome.BACKOFF
        return self._after_success(key, result)

    def _after_success(self, key: ObjectKey, result: Result) -> Outcome:
        self.queue.forget(key)
        if result.requeue_after is not None:
            self.queue.add_after(key, result.requeue_after)
            return Outcome.REQUEUED_AFTER
        return Outcome.DONE


def _is_expected(error: Exception) -> bool:
    """Errors that carry intent are reported by message; anything else gets its traceback."""
    return isinstance(error, ReconcileError | StoreError)
