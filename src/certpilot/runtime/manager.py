"""The manager starts everything a daemon runs and stops it gracefully.

Start: one shared informer per kind (controllers' primary and watched kinds, plus cache_kinds),
wait for them to sync, optionally win leadership, start each controller's workers, serve HTTP.
Stop (SIGTERM/SIGINT): stop taking work, let in-flight reconciles finish within a grace period,
stop the informers, stop HTTP, close the store, shut the thread pool down. The same stop precedes
a restart to return memory (runtime/memory/restart_to_shrink.py), which the caller performs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from certpilot.api.acme import Challenge
from certpilot.api.core import Event, Namespace
from certpilot.api.meta import Resource
from certpilot.api.registry import all_kinds
from certpilot.runtime.blocking import ThreadPoolRunner
from certpilot.runtime.cache import InformerCache
from certpilot.runtime.clock import Clock, SystemClock
from certpilot.runtime.context import ControllerContext, EventRecorder
from certpilot.runtime.controller import Reconciler
from certpilot.runtime.controller_runner import ControllerRunner
from certpilot.runtime.informer import ChangeHandler, Informer
from certpilot.runtime.leader import LeaderElector
from certpilot.runtime.memory.collector_pause import collector_paused_while_loading, thaw_loaded_heap
from certpilot.runtime.memory.free_memory import (
    CHECK_EVERY_SECONDS,
    MemoryReturner,
    return_free_memory_to_system,
)
from certpilot.runtime.memory.restart_to_shrink import (
    Footprint,
    RestartPolicy,
    RestartToReturnMemory,
    resident_bytes,
    restart_reason,
    worth_restarting,
)
from certpilot.server.http import MetricsServer
from certpilot.store.events import StoreEventRecorder
from certpilot.store.protocol import Store

log = logging.getLogger(__name__)

COMPONENT = "certpilot"


class LeadershipLost(RuntimeError):
    """This replica stopped being the leader; it exits so a restart campaigns again."""


def default_cache_kinds() -> list[type[Resource]]:
    """Every known kind except Events (many), Namespaces (controllers read neither) and kinds only
    an optional controller reads (cached when it is added)."""
    return [kind for kind in all_kinds() if kind not in (Event, Namespace) and kind.CACHED_BY_DEFAULT]


class Manager:
    def __init__(
        self,
        store: Store,
        clock: Clock | None = None,
        *,
        workers_per_controller: int = 2,
        thread_pool_size: int = 8,
        listen: str | None = None,
        events: EventRecorder | None = None,
        cache_kinds: Iterable[type[Resource]] | None = None,
        shutdown_grace_seconds: float = 30.0,
        leader_elector: LeaderElector | None = None,
        close_store: bool = True,
        cache_label_selectors: Mapping[type[Resource], str] | None = None,
        served_kinds: Iterable[type[Resource]] | None = None,
        restart_policy: RestartPolicy | None = None,
    ) -> None:
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self._workers = workers_per_controller
        self._grace = shutdown_grace_seconds
        self._leader = leader_elector
        self._close_store = close_store
        self.executor = ThreadPoolExecutor(
            max_workers=thread_pool_size, thread_name_prefix="certpilot-blocking"
        )
        # Owned here, so stop() can wait for the events still being written.
        self._own_events: StoreEventRecorder | None = None
        if events is None:
            self._own_events = events = StoreEventRecorder(store, self.clock, COMPONENT)
        # None: the store serves every kind (SQLite); else a controller needing another kind is off.
        self._served = None if served_kinds is None else frozenset(served_kinds)
        self.cache = InformerCache(store, self.clock, cache_label_selectors)
        for kind in default_cache_kinds() if cache_kinds is None else cache_kinds:
            if self._serves(kind):
                self.cache.informer(kind)
        self.context = ControllerContext(
            store=store,
            cache=self.cache,
            clock=self.clock,
            events=events,
            run_blocking=ThreadPoolRunner(self.executor),
        )
        self.runners: list[ControllerRunner] = []
        self.server = MetricsServer(listen, ready=lambda: self.ready) if listen else None
        self._informer_tasks: list[asyncio.Task[None]] = []
        self._leader_task: asyncio.Task[None] | None = None
        self._memory_task: asyncio.Task[None] | None = None
        self._lost_leadership = asyncio.Event()
        # None: never restarts itself to return memory (runtime/memory/restart_to_shrink.py).
        self._restart_policy = restart_policy
        self._restart_reason: str | None = None
        self._restart_requested = asyncio.Event()
        self._started = False
        # Each watch's informer and handler, registered once the controllers start (start()).
        self._watch_handlers: list[tuple[Informer[Any], ChangeHandler[Resource]]] = []
        self.ready = False

    def add(self, factory: Callable[[ControllerContext], Reconciler]) -> Reconciler:
        """Build a controller with this manager's context and register what it watches."""
        if self._started:
            raise RuntimeError("add controllers before Manager.start()")
        reconciler = factory(self.context)
        if not self._serves(reconciler.spec.primary):
            # A plugin's kind whose CRD is not installed: its controller is off, the others run.
            log.warning(
                "controller %s is off: the store does not serve %s %s",
                reconciler.spec.name,
                reconciler.spec.primary.API_VERSION,
                reconciler.spec.primary.KIND,
            )
            return reconciler
        runner = ControllerRunner(reconciler, self.clock, workers=self._workers)
        self.cache.informer(reconciler.spec.primary).add_change_handler(runner.on_primary_event)
        for watch in reconciler.spec.watches:
            if not self._serves(watch.kind):
                log.info(
                    "controller %s does not watch %s: the store does not serve it",
                    reconciler.spec.name,
                    watch.kind.KIND,
                )
                continue
            self._watch_handlers.append(
                (self.cache.informer(watch.kind), runner.mapped_event_handler(watch.to_keys, watch.relevant))
            )
        self.runners.append(runner)
        return reconciler

    def _serves(self, kind: type[Resource]) -> bool:
        return self._served is None or kind in self._served

    async def start(self) -> None:
        self._started = True
        asyncio.get_running_loop().set_default_executor(self.executor)
        if self.server is not None:
            await self.server.start()
        self._informer_tasks = [
            asyncio.create_task(i.run(), name=f"informer-{i.kind.KIND}") for i in self.cache.informers
        ]
        with collector_paused_while_loading():
            await asyncio.gather(*(i.wait_synced() for i in self.cache.informers))
        return_free_memory_to_system()
        self._memory_task = asyncio.create_task(self._return_memory_after_drops(), name="memory")
        log.info("informers synced", extra={"kinds": len(self._informer_tasks)})
        if self._leader is not None:
            await self._leader.acquire()
            self._leader_task = asyncio.create_task(self._hold_leadership(self._leader), name="leader")
        # Watches map changes from here on, not the start's lists: by now every primary is queued
        # from its own informer's list, and its first reconcile reads the secondaries from the
        # synced cache. (Mapping those lists, 10,000 Secrets and each issuer to all its
        # Certificates, cost ~5 % of a restart and queued nothing new.) No await between this and
        # the workers' start, so no change falls in between.
        for informer, handler in self._watch_handlers:
            informer.add_change_handler(handler)
        for runner in self.runners:
            runner.start()
        self.ready = True
        log.info("started", extra={"controllers": ",".join(r.name for r in self.runners)})

    def idle(self) -> bool:
        """No controller has work queued or running, and no ACME challenge is being solved."""
        challenges = next((i for i in self.cache.informers if i.kind is Challenge), None)
        return all(r.queue.is_idle() for r in self.runners) and not (
            challenges is not None and challenges.cache.objects
        )

    async def _return_memory_after_drops(self) -> None:
        cached, rss = self.cache.cached_objects(), resident_bytes()
        returner = MemoryReturner(cached)
        at_start = None if rss is None else Footprint(cached, rss)
        while True:
            # Real time, not the injected clock: memory is a real-world matter, and a fake clock
            # moved on to the next sleeper would otherwise stop here every few seconds.
            await asyncio.sleep(CHECK_EVERY_SECONDS)
            cached = self.cache.cached_objects()
            returner.cached_now(cached)
            if self._restart_policy is None or at_start is None:
                continue
            rss = resident_bytes()
            if rss is None:
                continue
            now, peak = Footprint(cached, rss), self.cache.peak_objects
            if worth_restarting(self._restart_policy, at_start, peak, now, self.idle()):
                self._restart_reason = restart_reason(at_start, peak, now)
                self._restart_requested.set()
                return

    async def _hold_leadership(self, elector: LeaderElector) -> None:
        await elector.hold()
        self._lost_leadership.set()

    async def stop(self) -> None:
        self.ready = False
        results = await asyncio.gather(*(r.stop(self._grace) for r in self.runners))
        if not all(results):
            log.warning("shutdown grace period ended with reconciles still running")
        background = [self._leader_task, self._memory_task]
        for task in [*self._informer_tasks, *(t for t in background if t is not None)]:
            task.cancel()
        await asyncio.gather(*self._informer_tasks, return_exceptions=True)
        if self._memory_task is not None:
            await asyncio.gather(self._memory_task, return_exceptions=True)
        if self._leader_task is not None:
            await asyncio.gather(self._leader_task, return_exceptions=True)
        if self._leader is not None:
            await self._leader.release()
        if self.server is not None:
            await self.server.stop()
        await self.flush_events()
        if self._close_store:
            await self.store.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
        thaw_loaded_heap()
        log.info("stopped")

    async def flush_events(self) -> None:
        """Wait until every Event recorded so far is in the store (they are written in the background)."""
        if self._own_events is not None:
            await self._own_events.flush()

    async def run_until_signal(
        self, signals: Iterable[signal.Signals] = (signal.SIGTERM, signal.SIGINT)
    ) -> None:
        """Start, run until a signal (or lost leadership), then stop gracefully."""
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        installed = []
        for sig in signals:
            loop.add_signal_handler(sig, stopping.set)
            installed.append(sig)
        try:
            starting = asyncio.create_task(self.start(), name="manager-start")
            waiters: list[asyncio.Task[Any]] = [
                asyncio.create_task(stopping.wait()),
                asyncio.create_task(self._lost_leadership.wait()),
                asyncio.create_task(self._restart_requested.wait()),
            ]
            try:
                # A signal while starting (informers syncing, campaigning) stops at once.
                await asyncio.wait([starting, waiters[0]], return_when=asyncio.FIRST_COMPLETED)
                if starting.done():
                    starting.result()
                    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                else:
                    starting.cancel()
                    await asyncio.gather(starting, return_exceptions=True)
            finally:
                for waiter in waiters:
                    waiter.cancel()
            log.info("shutting down")
        finally:
            await self.stop()
            for sig in installed:
                with contextlib.suppress(ValueError, RuntimeError):
                    loop.remove_signal_handler(sig)
        if stopping.is_set():
            return
        if self._lost_leadership.is_set():
            raise LeadershipLost("lost the leader lease; exiting so a restart campaigns again")
        if self._restart_reason is not None:
            raise RestartToReturnMemory(self._restart_reason)
