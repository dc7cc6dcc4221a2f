"""Helpers shared by the tests in this folder (fixtures are in conftest.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from certpilot.store.sqlite import SQLiteStore

R = TypeVar("R")
# kube-controller-manager's garbage collector acts within a second or two here.
GC_DEADLINE_S = 20.0

StoreFactory = Callable[..., SQLiteStore]

# Checks a timestamp the store set (see conftest `server_time`).
ServerTimeCheck = Callable[[datetime | None], None]


async def eventually(read: Callable[[], Awaitable[R]], expected: R) -> None:
    """Wait until read() returns expected: cascading deletion is the garbage collector's work, done
    after the delete returns on Kubernetes (at once on SQLite)."""
    seen: R | None = None
    for _ in range(int(GC_DEADLINE_S / 0.1)):
        seen = await read()
        if seen == expected:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"after {GC_DEADLINE_S}s: {seen!r}, expected {expected!r}")
