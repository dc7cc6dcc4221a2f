"""The SQLite file layout and connection settings of the SQLite store.

objects    one row per live object, its JSON body as written by the API models.
owner_refs (owner uid, dependent uid): finds what to cascade-delete without scanning every object.
changes    the change log watches resume from; trimmed to the newest `history_limit` entries.
meta       the global resourceVersion counter and how far the change log was trimmed.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

from certpilot.store.private_file import create_private_file
from certpilot.store.sealing import Sealing, StoreConnection, check_keys

# Long enough to outlast another process's group commit; short enough that a wedged file surfaces.
BUSY_TIMEOUT_MS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    api_version TEXT NOT NULL,
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    uid TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    PRIMARY KEY (api_version, kind, namespace, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS owner_refs (
    owner_uid TEXT NOT NULL,
    dependent_uid TEXT NOT NULL,
    PRIMARY KEY (owner_uid, dependent_uid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS owner_refs_by_dependent ON owner_refs (dependent_uid);
CREATE TABLE IF NOT EXISTS changes (
    rv INTEGER PRIMARY KEY,
    api_version TEXT NOT NULL,
    kind TEXT NOT NULL,
    type TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_by_kind ON changes (api_version, kind, rv);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (key, value) VALUES ('resource_version', 0), ('compacted_through', 0);
"""
# Every table and index _SCHEMA creates (its meta rows are inserted in the same transaction).
_SCHEMA_OBJECTS = frozenset(re.findall(r"CREATE (?:TABLE|INDEX) IF NOT EXISTS (\w+)", _SCHEMA))


def open_connection(path: str, sealing: Sealing | None = None) -> StoreConnection:
    """A connection in WAL mode with durable commits; the schema is created if missing; Secret
    bodies are sealed and opened with sealing's keys (store/sealing.py).

    synchronous=FULL: a commit returns only after the WAL is fsynced, so an acknowledged write
    survives power loss as well as a killed process; group commit pays that fsync once per batch.
    """
    create_private_file(Path(path))
    connection = sqlite3.connect(path, isolation_level=None, factory=StoreConnection)
    connection.sealing = sealing or Sealing()
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    _switch_to_wal(connection)
    connection.execute("PRAGMA synchronous = FULL")
    try:
        # An existing store is opened without taking the write lock: a reader never waits for
        # another process's writes.
        if not _has_schema(connection):
            _create_schema(connection)
        check_keys(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def _create_schema(connection: sqlite3.Connection) -> None:
    connection.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _has_schema(connection: sqlite3.Connection) -> bool:
    present = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    return present >= _SCHEMA_OBJECTS


def _switch_to_wal(connection: sqlite3.Connection) -> None:
    """PRAGMA journal_mode = WAL needs the file to itself for a moment and, unlike other
    statements, fails at once with "database is locked" instead of waiting out busy_timeout when
    another connection is opening the same new file (a daemon and a CLI command starting
    together). A store whose opening failed would stay unusable, so wait as busy_timeout would."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.001
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
