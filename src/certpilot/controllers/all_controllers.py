"""Assembles the daemon: every controller, the store, the single-instance lock, the Manager."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from certpilot.acme.solvers.dns01.webhook import SolverEndpoints
from certpilot.acme.solvers.http01_presenter import Http01Presenter
from certpilot.controllers.acme import acme_controllers as acme_setup
from certpilot.controllers.acme.solving import SolverListeners
from certpilot.controllers.certificaterequests import request_controllers as certificaterequests_setup
from certpilot.controllers.certificates import certificate_controllers as certificates_setup
from certpilot.controllers.issuers import issuer_controllers as issuers_setup
from certpilot.controllers.manifests_folder import ManifestsFolder
from certpilot.controllers.options import ControllerOptions, DaemonOptions
from certpilot.controllers.secrets_mirror import SecretsMirrorController
from certpilot.issuers.registry import builtin_backends
from certpilot.runtime.clock import Clock
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import Reconciler
from certpilot.runtime.lock import InstanceLock
from certpilot.runtime.manager import Manager
from certpilot.store.sealing import Sealing
from certpilot.store.sqlite import SQLiteStore

log = logging.getLogger(__name__)

Factory = Callable[[ControllerContext], Reconciler]


def build_all(
    options: ControllerOptions,
    listeners: SolverListeners | None = None,
    http01: Http01Presenter | None = None,
    dns01_webhooks: SolverEndpoints | None = None,
) -> list[Factory]:
    """Every controller the daemon runs with these options (`listeners`: the ACME HTTP-01 /
    TLS-ALPN-01 listeners, which the caller stops; `http01`: who answers HTTP-01 instead of them;
    `dns01_webhooks`: where DNS-01 webhook solvers are reached instead of `--dns01-webhook-url`)."""
    backends = builtin_backends(options.acme_http_timeout)
    factories: list[Factory] = [
        *issuers_setup.build(options, backends),
        *certificaterequests_setup.build(options, backends),
        *certificates_setup.build(options),
        *acme_setup.build(options, listeners, http01, dns01_webhooks),
    ]
    if options.output_dir is not None:
        factories.append(lambda ctx: SecretsMirrorController(ctx, options))
    return factories


async def run_daemon(
    store_path: Path, options: ControllerOptions, daemon: DaemonOptions, clock: Clock | None = None
) -> None:
    """Run every controller on the SQLite store at store_path until SIGTERM or SIGINT; with
    `daemon.manifests`, also keep the store in step with that folder of manifests.

    Raises runtime.lock.InstanceLocked when another daemon already runs on this store, and
    store.errors.Damaged when the store file fails its integrity check."""
    lock = InstanceLock.for_store(store_path)
    lock.acquire()
    try:
        store = SQLiteStore(
            store_path, clock=clock, sealing=Sealing.from_key_file(daemon.encryption_key_file)
        )
        try:
            # Opening also checks the encryption key; a damaged file is refused here, not mid-flight.
            await store.verify_integrity()
        except BaseException:
            await store.close()
            raise
        manager = Manager(
            store,
            clock,
            workers_per_controller=daemon.workers,
            thread_pool_size=daemon.thread_pool_size,
            listen=daemon.metrics_listen,
            close_store=False,
            restart_policy=daemon.memory_restart_policy(),
        )
        log.info("daemon starting", extra={"store": str(store_path)})
        manifests = daemon.manifests
        folder = (
            asyncio.create_task(
                ManifestsFolder(store, manifests, ignore_unknown_kinds=daemon.ignore_unknown_kinds).run()
            )
            if manifests
            else None
        )
        try:
            await run_controllers(manager, options)
        finally:
            if folder is not None:
                folder.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await folder
            await store.close()
    finally:
        lock.release()


async def run_controllers(
    manager: Manager,
    options: ControllerOptions,
    runtime_specific: Sequence[Factory] = (),
    http01: Http01Presenter | None = None,
    dns01_webhooks: SolverEndpoints | None = None,
) -> None:
    """Add every controller (and those only this runtime runs) to the manager and run them until a
    signal (or lost leadership). `http01`: the runtime's HTTP-01 presenter (default: the listener);
    `dns01_webhooks`: how it reaches DNS-01 webhook solvers (default: `--dns01-webhook-url`)."""
    listeners = SolverListeners.from_options(options)
    try:
        for factory in [*build_all(options, listeners, http01, dns01_webhooks), *runtime_specific]:
            manager.add(factory)
        log.info("controllers ready to start", extra={"controllers": len(manager.runners)})
        await manager.run_until_signal()
    finally:
        await listeners.stop()
