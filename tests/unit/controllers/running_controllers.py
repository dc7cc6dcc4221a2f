"""Every controller of `certpilot run`, running on a store in this process: for tests that check
what the controllers do together, through the real Manager."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from certpilot.api.meta import Resource
from certpilot.controllers.all_controllers import build_all
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.clock import Clock
from certpilot.runtime.manager import Manager
from certpilot.store.protocol import Store


@asynccontextmanager
async def controllers_running(
    store: Store,
    options: ControllerOptions | None = None,
    *,
    clock: Clock | None = None,
    cache_label_selectors: Mapping[type[Resource], str] | None = None,
) -> AsyncIterator[Manager]:
    """A started Manager with every controller on `store`, stopped on leaving (which closes the
    store)."""
    manager = Manager(store, clock, listen=None, cache_label_selectors=cache_label_selectors)
    for factory in build_all(options or ControllerOptions()):
        manager.add(factory)
    await manager.start()
    try:
        yield manager
    finally:
        await manager.stop()
