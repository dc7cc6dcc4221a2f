"""Mirrors a certificate Secret to files: `<output_dir>/<namespace>/<name>/tls.crt`, `tls.key`...

Every version is written complete into its own hidden directory, then published by atomically
replacing the `..data` symlink (the way Kubernetes' AtomicWriter updates volumes); each visible
file is a fixed symlink `tls.crt -> ..data/tls.crt`. A reader that resolves the directory once
(or opens files through a path it resolved) always sees one complete version: never a new
certificate with an old key. docs/outputs.md explains the choice.

Everything is done through directory descriptors with plain `os` calls, in as few system calls
as the scheme allows: the daemon runs this in its thread pool, and each call gives the GIL away
and takes it back, which the event loop feels (docs/performance.md, fix 40).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from certpilot.api.core import Secret
from certpilot.store.private_file import PRIVATE_DIRECTORY_MODE, make_private_directories

DATA_LINK = "..data"
_VERSION_PREFIX = "..v"
# Files holding private key material are readable by the owner only.
PRIVATE_FILES = frozenset({"tls.key", "key.der", "tls-combined.pem", "keystore.p12", "keystore.jks"})
PUBLIC_FILES = frozenset({"tls.crt", "ca.crt", "truststore.p12", "truststore.jks"})
MIRRORED_FILES = PRIVATE_FILES | PUBLIC_FILES
PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644


class OutputPathError(ValueError):
    """A namespace or Secret name that cannot be used as a directory name."""


def mirrored_files(secret: Secret) -> dict[str, bytes]:
    """The Secret's data that is written to disk, by file name."""
    files: dict[str, bytes] = {}
    for name in sorted(MIRRORED_FILES):
        value = secret.get_data(name)
        if value is not None:
            files[name] = value
    return files


def file_mode(name: str) -> int:
    return PRIVATE_MODE if name in PRIVATE_FILES else PUBLIC_MODE


def _safe_component(text: str) -> str:
    if not text or text in (".", "..") or "/" in text or "\0" in text or text.startswith(".."):
        raise OutputPathError(f"{text!r} cannot be used as a directory name under the output directory")
    return text


def _open_directory(path: Path | str, dir_fd: int | None = None) -> int:
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY, dir_fd=dir_fd)


def _write_file(name: str, content: bytes, mode: int, dir_fd: int) -> None:
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode, dir_fd=dir_fd)
    try:
        os.fchmod(fd, mode)  # the umask must not widen or narrow what we ask for
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_version(version: str, files: Mapping[str, tuple[bytes, int]], directory_fd: int) -> None:
    version_fd = _open_directory(version, directory_fd)
    try:
        # Every folder of the tree is the owner's alone, whatever the umask: a folder others can
        # write would let any local user swap a certificate or its key.
        os.fchmod(version_fd, PRIVATE_DIRECTORY_MODE)
        for file_name, (content, mode) in files.items():
            _write_file(file_name, content, mode, version_fd)
        os.fsync(version_fd)
    finally:
        os.close(version_fd)


def _read_file(name: str, dir_fd: int) -> tuple[bytes, int]:
    """A regular file's content and permission bits, in one open, fstat and read."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dir_fd)
    try:
        status = os.fstat(fd)
        content = os.read(fd, status.st_size + 1)
        while len(content) != status.st_size:  # a short read, or the file changed: read to the end
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            content += chunk
        return content, status.st_mode & 0o777
    finally:
        os.close(fd)


def _published(directory: Path) -> dict[str, tuple[bytes, int]]:
    """The published version's regular files: content and permission bits (empty when none is)."""
    try:
        data_fd = _open_directory(directory / DATA_LINK)
    except (FileNotFoundError, NotADirectoryError):
        return {}
    try:
        with os.scandir(data_fd) as entries:
            names = [entry.name for entry in entries if entry.is_file(follow_symlinks=False)]
        return {name: _read_file(name, data_fd) for name in names}
    finally:
        os.close(data_fd)


def _replace_symlink(name: str, target: str, dir_fd: int, unique: str) -> None:
    """Point name at target atomically (a new link renamed over the old one)."""
    temporary = f"{name}.tmp-{unique}"
    os.symlink(target, temporary, dir_fd=dir_fd)
    os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)


class FileMirror:
    """Writes and removes mirrored Secrets under output_dir. Blocking: run off the event loop."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir

    def directory_for(self, namespace: str, name: str) -> Path:
        return self.output_dir / _safe_component(namespace) / _safe_component(name)

    def read(self, namespace: str, name: str) -> dict[str, bytes]:
        """The files of the published version (empty when none is)."""
        return {n: content for n, (content, _) in _published(self.directory_for(namespace, name)).items()}

    def write(self, namespace: str, name: str, files: Mapping[str, bytes]) -> bool:
        """Publish files as the new version; False (nothing touched) when they are already current."""
        directory = self.directory_for(namespace, name)
        wanted = {_safe_component(n): (content, file_mode(n)) for n, content in files.items()}
        published = _published(directory)
        if published == wanted:
            return False
        if not published:
            make_private_directories(directory)
        unique = secrets.token_hex(4)
        version = f"{_VERSION_PREFIX}{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{unique}"
        directory_fd = _open_directory(directory)
        try:
            os.mkdir(version, mode=PRIVATE_DIRECTORY_MODE, dir_fd=directory_fd)
            try:
                _write_version(version, wanted, directory_fd)
            except OSError:
                # A full disk: leave no half-written version (with part of a key) behind.
                shutil.rmtree(directory / version, ignore_errors=True)
                raise
            _replace_symlink(DATA_LINK, version, directory_fd, unique)
            self._tidy(directory, directory_fd, version, wanted.keys(), unique)
            os.fsync(directory_fd)
        finally:
            os.close(directory_fd)
        return True

    def remove(self, namespace: str, name: str) -> bool:
        directory = self.directory_for(namespace, name)
        if not directory.exists():
            return False
        shutil.rmtree(directory)
        with contextlib.suppress(OSError):
            directory.parent.rmdir()  # only succeeds when the namespace directory is now empty
        return True

    @staticmethod
    def _tidy(directory: Path, directory_fd: int, keep: str, files: Iterable[str], unique: str) -> None:
        """Point each visible name into ..data, and remove what the new version made stale: older
        version directories, links to files it no longer has, and links a crash left half-made."""
        with os.scandir(directory_fd) as scanned:
            entries = {entry.name: entry.is_symlink() for entry in scanned}
        for file_name in files:
            target = f"{DATA_LINK}/{file_name}"
            if not (entries.get(file_name) and os.readlink(file_name, dir_fd=directory_fd) == target):
                _replace_symlink(file_name, target, directory_fd, unique)
        for entry_name, is_link in entries.items():
            if entry_name.startswith(_VERSION_PREFIX) and entry_name != keep:
                shutil.rmtree(directory / entry_name, ignore_errors=True)
            elif is_link and ((entry_name != DATA_LINK and entry_name not in files) or ".tmp-" in entry_name):
                os.unlink(entry_name, dir_fd=directory_fd)
