"""Is a SQLite store file whole? Checked when the daemon starts and before a backup is restored.

`PRAGMA quick_check` reads every page and checks the b-tree structure (what a truncated or
overwritten file breaks); `integrity_check` also cross-checks every index against its table. On a
store of 10,000 Certificates (108 MB) bench/store_integrity.py measured 153 ms against 407 ms: the
daemon's start runs quick_check; restore, rare and about to replace the store, runs integrity_check.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from certpilot.store.errors import Damaged

# The SQLite result codes of a file that is not (or no longer) a whole database.
_DAMAGE_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})

RECOVERY = (
    "stop certpilot, then restore the last backup: certpilot restore BACKUP --store {path} "
    "(docs/reliability.md)"
)


def damaged(path: str | Path, detail: str, *, backup: bool = False) -> Damaged:
    if backup:
        return Damaged(f"the backup {path} is damaged ({detail}); nothing was restored: use another backup")
    return Damaged(f"the store {path} is damaged ({detail}); " + RECOVERY.format(path=path))


def is_damage(error: sqlite3.Error) -> bool:
    return getattr(error, "sqlite_errorcode", None) in _DAMAGE_CODES


def check_integrity(
    connection: sqlite3.Connection, path: str | Path, *, thorough: bool = False, backup: bool = False
) -> None:
    """Raise Damaged naming the first problems SQLite reports, or when SQLite cannot read the file
    (`backup`: the file is a backup about to be restored)."""
    pragma = "integrity_check(5)" if thorough else "quick_check(5)"
    try:
        problems = [str(row[0]) for row in connection.execute(f"PRAGMA {pragma}")]
    except sqlite3.DatabaseError as error:
        raise damaged(path, str(error), backup=backup) from None
    if problems != ["ok"]:
        raise damaged(path, "; ".join(problems), backup=backup)
