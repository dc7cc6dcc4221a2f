"""One standalone daemon per store: an exclusive flock on `<store>.lock` holding the owner's pid.

The kernel releases the lock when the process exits, however it exits, so a crash never leaves a
stale lock behind; the pid in the file is only there to tell the user who holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType


class InstanceLocked(RuntimeError):
    """Another process holds the instance lock."""

    def __init__(self, path: Path, holder_pid: int | None) -> None:
        holder = f"pid {holder_pid}" if holder_pid is not None else "another process"
        super().__init__(
            f"another certpilot daemon ({holder}) is running on this store: lock file {path} is held; "
            "stop that daemon first, or point this one at a different store"
        )
        self.path = path
        self.holder_pid = holder_pid


def lock_path_for(store_path: str | os.PathLike[str]) -> Path:
    return Path(f"{os.fspath(store_path)}.lock")


class InstanceLock:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @classmethod
    def for_store(cls, store_path: str | os.PathLike[str]) -> InstanceLock:
        return cls(lock_path_for(store_path))

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise InstanceLocked at once (never waits)."""
        if self._fd is not None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise InstanceLocked(self.path, holder) from None
        # The pid only tells users who holds the lock: a full disk must not stop the daemon.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return int(text) if text.isdigit() else None
