"""Helpers shared by the tests in this folder (fixtures are in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

from certpilot.store.sqlite import SQLiteStore

StoreFactory = Callable[..., SQLiteStore]
