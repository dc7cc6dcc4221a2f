"""Runs the real `certpilot` command against a store in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cli.cli_harness import Cli, Daemon


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "store.db")


@pytest.fixture
def daemon(cli: Cli, tmp_path: Path) -> Iterator[Daemon]:
    d = Daemon(cli, tmp_path)
    try:
        yield d
    finally:
        if d.alive():
            d.stop()
