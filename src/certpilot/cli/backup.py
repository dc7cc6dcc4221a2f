"""`certpilot backup` and `certpilot restore`: a store file copied with SQLite's online backup API."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from certpilot.cli.context import resolve_store_path
from certpilot.cli.errors import CLIError
from certpilot.cli.options import StoreOption
from certpilot.runtime.lock import InstanceLock, InstanceLocked
from certpilot.store.sqlite import SQLiteStore
from certpilot.store.sqlite_backup import restore_backup


def backup_command(
    destination: Annotated[Path, typer.Argument(help="File to write the backup to (replaced if it exists).")],
    store: StoreOption = None,
) -> None:
    """Copy the store to a file, consistently, while the daemon keeps running."""
    path = resolve_store_path(store)
    if not path.is_file():
        raise CLIError(f"{path}: no store there to back up")

    async def copy() -> None:
        source = SQLiteStore(path)
        try:
            await source.backup_to(destination.absolute())
        finally:
            await source.close()

    asyncio.run(copy())
    typer.echo(f"backed up {path} to {destination}")


def restore_command(
    backup: Annotated[Path, typer.Argument(help="A file written by `certpilot backup`.")],
    store: StoreOption = None,
) -> None:
    """Replace the store with a backup. Refused while a daemon runs on the store."""
    path = resolve_store_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = InstanceLock.for_store(path)
    try:
        lock.acquire()
    except InstanceLocked as error:
        raise CLIError(f"not restoring: {error}") from None
    try:
        restore_backup(backup, path)
    finally:
        lock.release()
    typer.echo(f"restored {path} from {backup}")
