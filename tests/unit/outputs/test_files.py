"""The file mirror: complete versions published atomically, private files 0600, no torn pairs."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from certpilot.outputs.files import DATA_LINK, FileMirror, OutputPathError, mirrored_files
from certpilot.testing.builders import secret_tls


def test_write_publishes_files_with_modes(tmp_path: Path) -> None:
    mirror = FileMirror(tmp_path)
    files = {"tls.crt": b"CERT1", "tls.key": b"KEY1", "ca.crt": b"CA", "keystore.p12": b"P12"}
    assert mirror.write("ns", "web", files) is True
    directory = tmp_path / "ns" / "web"
    assert (directory / "tls.crt").read_bytes() == b"CERT1"
    assert stat.S_IMODE(os.stat(directory / "tls.key").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(directory / "keystore.p12").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(directory / "tls.crt").st_mode) == 0o644
    assert mirror.read("ns", "web") == files


def test_unchanged_content_is_not_rewritten(tmp_path: Path) -> None:
    mirror = FileMirror(tmp_path)
    mirror.write("ns", "web", {"tls.crt": b"C", "tls.key": b"K"})
    version = os.readlink(tmp_path / "ns" / "web" / DATA_LINK)
    assert mirror.write("ns", "web", {"tls.crt": b"C", "tls.key": b"K"}) is False
    assert os.readlink(tmp_path / "ns" / "web" / DATA_LINK) == version


def test_new_version_replaces_old_and_drops_removed_files(tmp_path: Path) -> None:
    mirror = FileMirror(tmp_path)
    mirror.write("ns", "web", {"tls.crt": b"C1", "tls.key": b"K1", "ca.crt": b"CA"})
    mirror.write("ns", "web", {"tls.crt": b"C2", "tls.key": b"K2"})
    directory = tmp_path / "ns" / "web"
    assert (directory / "tls.crt").read_bytes() == b"C2"
    assert not (directory / "ca.crt").exists()
    versions = [p for p in directory.iterdir() if p.name.startswith("..v")]
    assert len(versions) == 1


def test_a_reader_never_sees_a_mismatched_pair(tmp_path: Path) -> None:
    """A reader resolving the directory once reads cert and key of the same version, while a
    writer publishes versions as fast as it can."""
    mirror = FileMirror(tmp_path)
    mirror.write("ns", "web", {"tls.crt": b"C0", "tls.key": b"K0"})
    directory = tmp_path / "ns" / "web"
    stop = threading.Event()
    torn: list[tuple[bytes, bytes]] = []

    def read() -> None:
        while not stop.is_set():
            try:
                resolved = Path(os.path.realpath(directory / DATA_LINK))
                pair = ((resolved / "tls.crt").read_bytes(), (resolved / "tls.key").read_bytes())
            except FileNotFoundError:
                continue  # the version was superseded and removed between resolve and read
            if pair[0][1:] != pair[1][1:]:
                torn.append(pair)

    reader = threading.Thread(target=read)
    reader.start()
    for n in range(1, 200):
        mirror.write("ns", "web", {"tls.crt": b"C%d" % n, "tls.key": b"K%d" % n})
    stop.set()
    reader.join()
    assert torn == []


def test_remove(tmp_path: Path) -> None:
    mirror = FileMirror(tmp_path)
    mirror.write("ns", "web", {"tls.crt": b"C"})
    assert mirror.remove("ns", "web") is True
    assert not (tmp_path / "ns").exists()
    assert mirror.remove("ns", "web") is False


@pytest.mark.parametrize("name", ["..", "a/b", "", "..data"])
def test_unsafe_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(OutputPathError):
        FileMirror(tmp_path).directory_for("ns", name)


def test_mirrored_files_takes_only_known_keys() -> None:
    secret = secret_tls("web", cert_pem=b"C", key_pem=b"K")
    secret.set_data("unrelated", b"x")
    assert mirrored_files(secret) == {"tls.crt": b"C", "tls.key": b"K"}
