"""Stand-ins for the runtime around one CertificateRequest controller in unit tests: a cache that
hands out the very objects it holds, recorded Events, and a context whose thread pool must not be
used. The store is the real SQLite store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from certpilot.api.meta import Resource
from certpilot.runtime.context import ControllerContext
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock
from tests.unit.controllers.certificaterequests.cr_material import NOW

T = TypeVar("T", bound=Resource)


class OneObjectPerKind:
    """The cache as the controllers read it: get() hands out the very objects it holds."""

    def __init__(self, *objects: Resource) -> None:
        self.objects = {type(o): o for o in objects}

    def get(self, kind: type[T], name: str, namespace: str | None = None) -> T | None:
        found = self.objects.get(kind)
        return cast(T, found) if found is not None and found.name == name else None

    def on_deleted(self, forget: Callable[[Resource], None]) -> None:
        """Nothing is ever deleted from this cache."""


class RecordedEvents:
    def __init__(self) -> None:
        self.reasons: list[str] = []

    async def event(self, obj: Resource, type_: str, reason: str, message: str) -> None:
        self.reasons.append(reason)


def context_over(store: SQLiteStore, cache: OneObjectPerKind, events: RecordedEvents) -> ControllerContext:
    async def no_blocking(*_: Any, **__: Any) -> Any:
        raise AssertionError("nothing runs in the thread pool")

    return ControllerContext(
        store=store, cache=cast(Any, cache), clock=FakeClock(NOW), events=events, run_blocking=no_blocking
    )
