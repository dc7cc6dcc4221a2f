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


def test_drift_on_disk_is_repaired(tmp_path: Path) -> None:
    """Whatever changed the published files (content edited in place, a mode widened, a file
    added or removed), the next write puts the wanted version back."""
    mirror = FileMirror(tmp_path)
    files = {"tls.crt": b"C", "tls.key": b"K"}
    mirror.write("ns", "web", files)
    data = tmp_path / "ns" / "web" / DATA_LINK
    drifts = [
        lambda: (data / "tls.crt").write_bytes(b"edited"),
        lambda: os.chmod(data / "tls.key", 0o644),
        lambda: (data / "extra").write_bytes(b"x"),
        lambda: (data / "tls.crt").unlink(),
    ]
    for drift in drifts:
        drift()
        assert mirror.write("ns", "web", files) is True
        assert mirror.read("ns", "web") == files
        assert stat.S_IMODE(os.stat(data / "tls.key").st_mode) == 0o600
        assert mirror.write("ns", "web", files) is False


def test_leftovers_of_an_interrupted_write_are_removed(tmp_path: Path) -> None:
    """A crash between steps can leave an unpublished version directory and half-made links;
    the next write removes them and leaves exactly one version and the visible links."""
    mirror = FileMirror(tmp_path)
    mirror.write("ns", "web", {"tls.crt": b"C1", "tls.key": b"K1"})
    directory = tmp_path / "ns" / "web"
    (directory / "..v19700101T000000000000-dead").mkdir()
    os.symlink("..v19700101T000000000000-dead", directory / "..data.tmp-dead")
    os.symlink("..data/tls.crt", directory / "tls.crt.tmp-dead")
    mirror.write("ns", "web", {"tls.crt": b"C2", "tls.key": b"K2"})
    assert sorted(p.name for p in directory.iterdir() if not p.name.startswith("..v")) == [
        DATA_LINK,
        "tls.crt",
        "tls.key",
    ]
    assert len([p for p in directory.iterdir() if p.name.startswith("..v")]) == 1
    assert (directory / "tls.crt").read_bytes() == b"C2"


def test_a_visible_name_pointing_elsewhere_is_put_back(tmp_path: Path) -> None:
    mirror = FileMirror(tmp_path)
    mirror.write("ns", "web", {"tls.crt": b"C1", "tls.key": b"K1"})
    link = tmp_path / "ns" / "web" / "tls.key"
    link.unlink()
    link.write_bytes(b"not a link")
    mirror.write("ns", "web", {"tls.crt": b"C2", "tls.key": b"K2"})
    assert os.readlink(link) == f"{DATA_LINK}/tls.key"
    assert link.read_bytes() == b"K2"
