"""The only thing the store needs from a clock: the current time (structurally runtime's Clock)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC datetime."""
        ...


class UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
