"""Several connections opening the same new store file at once all succeed (a daemon and a CLI
command starting together): switching a new file to WAL fails at once with "database is locked"
instead of waiting out busy_timeout, and a store whose opening failed would stay unusable."""

from __future__ import annotations

import threading
from pathlib import Path

from certpilot.store.sqlite_schema import open_connection

OPENERS = 4
# One round with the race lost failed ~6 % of the time before the fix: 100 rounds catch it.
ROUNDS = 100


def test_connections_opening_one_new_file_together_all_succeed(tmp_path: Path) -> None:
    failures: list[str] = []
    for round_number in range(ROUNDS):
        path = str(tmp_path / f"store-{round_number}.db")
        start = threading.Barrier(OPENERS)

        def open_once(path: str = path, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                connection = open_connection(path)
            except Exception as error:
                failures.append(f"{type(error).__name__}: {error}")
                return
            mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
            connection.close()
            if mode != "wal":
                failures.append(f"journal mode {mode}")

        openers = [threading.Thread(target=open_once) for _ in range(OPENERS)]
        for opener in openers:
            opener.start()
        for opener in openers:
            opener.join()
    assert failures == []
