"""A peer server run as a child process: logs kept in a file for failure messages, stopped by PID."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

STOP_GRACE_SECONDS = 5.0
LOG_TAIL_CHARS = 4000


class PeerFailedToStart(RuntimeError):
    """The peer exited or never answered; the message carries the tail of its log."""


class PeerProcess:
    def __init__(self, name: str, argv: Sequence[str], log_path: Path, env: Mapping[str, str]) -> None:
        self.name = name
        self._argv = list(argv)
        self.log_path = log_path
        self._env = dict(env)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self, is_ready: Callable[[], bool], timeout: float = 20.0) -> None:
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                self._argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self._env},
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise PeerFailedToStart(
                    f"{self.name} exited with {self._process.returncode}:\n{self.log_tail()}"
                )
            if is_ready():
                return
            time.sleep(0.05)
        self.stop()
        raise PeerFailedToStart(f"{self.name} did not answer within {timeout:.0f}s:\n{self.log_tail()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:]
        except FileNotFoundError:
            return "(no log)"


class PeerServer:
    """Base for peers: start()/stop() and use as a context manager that always stops."""

    _process: PeerProcess | None = None

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()

    def log_tail(self) -> str:
        return self._process.log_tail() if self._process is not None else "(not started)"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
