"""Backup and restore of a SQLite store file with SQLite's online backup API.

A backup is taken through a connection to the live store: SQLite copies a consistent snapshot
(one read transaction in WAL mode) while a daemon keeps writing. Both directions write to a
temporary file beside the target, check it, fsync it and rename it into place, so a failure
(a full disk, a crash) leaves the previous file as it was.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from certpilot.store.errors import Unavailable
from certpilot.store.sqlite_integrity import check_integrity, damaged, is_damage

# SQLite's files beside a store in WAL mode: stale ones must never meet a restored file.
SIDE_FILES = ("-wal", "-shm")


def write_backup(source: sqlite3.Connection, destination: Path) -> None:
    """Copy the store open on source to destination (replaced atomically)."""
    _copy(source, destination, destination)


def restore_backup(backup: Path, store_path: Path) -> None:
    """Replace the store file with backup, after checking backup thoroughly. The caller makes sure
    no daemon runs on store_path (it holds the daemon's instance lock)."""
    if not backup.is_file():
        raise Unavailable(f"{backup}: no such backup file")
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        check_integrity(source, backup, thorough=True, backup=True)
        _copy(source, store_path, backup)
    finally:
        source.close()


def _copy(source: sqlite3.Connection, destination: Path, what: Path) -> None:
    temporary = destination.with_name(f".{destination.name}.partial")
    for leftover in (temporary, *(Path(f"{temporary}{s}") for s in SIDE_FILES)):
        leftover.unlink(missing_ok=True)
    # The copy holds private keys: readable by the owner only, whatever the umask.
    os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    target = sqlite3.connect(temporary)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")
        check_integrity(target, temporary)
        target.close()
        _fsync(temporary)
        for side in SIDE_FILES:
            Path(f"{destination}{side}").unlink(missing_ok=True)
        os.replace(temporary, destination)
        _fsync(destination.parent)
    except sqlite3.Error as error:
        target.close()
        temporary.unlink(missing_ok=True)
        if is_damage(error):
            raise damaged(what, str(error), backup=what != destination) from None
        raise Unavailable(f"could not write {destination}: {error}") from None
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            target.close()
        temporary.unlink(missing_ok=True)
        raise


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
