"""Mirrors a certificate Secret to files: `<output_dir>/<namespace>/<name>/tls.crt`, `tls.key`...

Every version is written complete into its own hidden directory, then published by atomically
replacing the `..data` symlink (the way Kubernetes' AtomicWriter updates volumes); each visible
file is a fixed symlink `tls.crt -> ..data/tls.crt`. A reader that resolves the directory once
(or opens files through a path it resolved) always sees one complete version: never a new
certificate with an old key. docs/outputs.md explains the choice.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from certpilot.api.core import Secret

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


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, content: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)  # the umask must not widen or narrow what we ask for
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_symlink(link: Path, target: str) -> None:
    """Point link at target atomically (a new link renamed over the old one)."""
    temporary = link.with_name(f"{link.name}.tmp-{secrets.token_hex(4)}")
    os.symlink(target, temporary)
    os.replace(temporary, link)


class FileMirror:
    """Writes and removes mirrored Secrets under output_dir. Blocking: run off the event loop."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir

    def directory_for(self, namespace: str, name: str) -> Path:
        return self.output_dir / _safe_component(namespace) / _safe_component(name)

    def read(self, namespace: str, name: str) -> dict[str, bytes]:
        """The files of the published version (empty when none is)."""
        data = self.directory_for(namespace, name) / DATA_LINK
        if not data.is_dir():
            return {}
        return {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()}

    def write(self, namespace: str, name: str, files: Mapping[str, bytes]) -> bool:
        """Publish files as the new version; False (nothing touched) when they are already current."""
        directory = self.directory_for(namespace, name)
        if self.read(namespace, name) == dict(files) and self._modes_ok(directory, files):
            return False
        directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        version = directory / f"{_VERSION_PREFIX}{stamp}-{secrets.token_hex(4)}"
        version.mkdir(mode=0o755)
        for file_name, content in files.items():
            _write_file(version / _safe_component(file_name), content, file_mode(file_name))
        _fsync_directory(version)
        _replace_symlink(directory / DATA_LINK, version.name)
        for file_name in files:
            link = directory / file_name
            if not (link.is_symlink() and os.readlink(link) == f"{DATA_LINK}/{file_name}"):
                _replace_symlink(link, f"{DATA_LINK}/{file_name}")
        self._remove_stale(directory, keep=version.name, files=files)
        _fsync_directory(directory)
        return True

    def remove(self, namespace: str, name: str) -> bool:
        directory = self.directory_for(namespace, name)
        if not directory.exists():
            return False
        shutil.rmtree(directory)
        with contextlib.suppress(OSError):
            directory.parent.rmdir()  # only succeeds when the namespace directory is now empty
        return True

    def _modes_ok(self, directory: Path, files: Mapping[str, bytes]) -> bool:
        data = directory / DATA_LINK
        return all((data / n).stat().st_mode & 0o777 == file_mode(n) for n in files)

    def _remove_stale(self, directory: Path, keep: str, files: Mapping[str, bytes]) -> None:
        for entry in directory.iterdir():
            if entry.name.startswith(_VERSION_PREFIX) and entry.name != keep:
                shutil.rmtree(entry, ignore_errors=True)
            elif (entry.is_symlink() and entry.name != DATA_LINK and entry.name not in files) or (
                ".tmp-" in entry.name and entry.is_symlink()
            ):
                entry.unlink()
