"""The store file, its WAL files and the output tree are owner-only under `umask 000`."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from certpilot.outputs.files import FileMirror
from certpilot.store.private_file import make_private_directories
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.builders import secret_tls


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.mark.usefixtures("open_umask")
async def test_store_file_and_its_folders_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "state" / "certpilot" / "store.db"
    make_private_directories(path.parent)  # as every command does before it opens the store
    store = SQLiteStore(path)
    try:
        await store.create(secret_tls("web-tls", cert_pem=b"CERT", key_pem=b"KEY"))
        wal_files = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
        assert [_mode(p) for p in (path, *wal_files)] == [0o600, 0o600, 0o600]
    finally:
        await store.close()
    assert _mode(tmp_path / "state") == 0o700
    assert _mode(tmp_path / "state" / "certpilot") == 0o700


@pytest.mark.usefixtures("open_umask")
def test_output_tree_folders_are_owner_only(tmp_path: Path) -> None:
    root = tmp_path / "certs"
    FileMirror(root).write("ns", "web-tls", {"tls.crt": b"CERT", "tls.key": b"KEY"})
    directory = root / "ns" / "web-tls"
    version = directory / os.readlink(directory / "..data")
    assert [_mode(p) for p in (root, root / "ns", directory, version)] == [0o700] * 4
    assert _mode(version / "tls.key") == 0o600
