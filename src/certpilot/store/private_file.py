"""Creating the store file owner-only (0600, its missing folders 0700), whatever the umask.

SQLite creates a missing database with 0644 less the umask, so under `umask 000` every local user
could read the private keys in it. Creating the file first, with the mode set by fchmod, closes
that; SQLite gives its -wal and -shm files the database file's own mode.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIRECTORY_MODE = 0o700


def make_private_directories(directory: Path) -> None:
    """Create directory and its missing parents 0700; folders that already exist are left alone."""
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, PRIVATE_DIRECTORY_MODE)
        except FileExistsError:
            continue  # created meanwhile by another process: its mode is its creator's
        os.chmod(folder, PRIVATE_DIRECTORY_MODE)  # the umask must not widen or narrow it


def create_private_file(path: Path) -> None:
    """Create path empty and 0600 unless it exists; an existing file keeps its mode. Its folder
    must exist (the commands make it with make_private_directories)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)
