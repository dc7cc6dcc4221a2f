"""The standalone instance lock, contended across two real processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from certpilot.runtime.lock import InstanceLock, InstanceLocked, lock_path_for

HOLDER = """
import sys, time
from certpilot.runtime.lock import InstanceLock
lock = InstanceLock(sys.argv[1])
lock.acquire()
print("locked", flush=True)
sys.stdin.readline()
"""


def test_lock_file_sits_beside_the_store(tmp_path: Path) -> None:
    assert lock_path_for(tmp_path / "certpilot.db") == tmp_path / "certpilot.db.lock"


def test_second_process_gets_an_error_naming_file_and_holder_pid(tmp_path: Path) -> None:
    path = tmp_path / "store.db.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(InstanceLocked) as caught:
            InstanceLock(path).acquire()
        assert caught.value.holder_pid == holder.pid
        assert str(path) in str(caught.value)
        assert f"pid {holder.pid}" in str(caught.value)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    # The holder exited: the kernel released its lock.
    with InstanceLock(path) as lock:
        assert lock.held
        assert path.read_text().strip() != str(holder.pid)


def test_release_lets_another_holder_in(tmp_path: Path) -> None:
    first = InstanceLock(tmp_path / "a.lock")
    first.acquire()
    first.release()
    second = InstanceLock(tmp_path / "a.lock")
    second.acquire()
    assert second.held
    second.release()
