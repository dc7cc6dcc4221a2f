"""The watched manifests folder against a real SQLite store."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from certpilot.api.certificate import Certificate
from certpilot.api.issuer import Issuer
from certpilot.controllers.manifests_folder import FROM_FOLDER_LABEL, ManifestsFolder, manifest_files
from certpilot.store.apply import apply_objects
from certpilot.store.errors import NotFound
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.builders import certificate

ISSUER = "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: ss}\nspec: {selfSigned: {}}\n"


def cert_yaml(name: str, dns: str) -> str:
    return (
        f"apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {{name: {name}}}\n"
        f"spec: {{secretName: {name}-tls, dnsNames: [{dns}], issuerRef: {{name: ss}}}}\n"
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "store.db")
    yield s
    await s.close()


async def sync(folder: ManifestsFolder) -> None:
    await folder.sync(manifest_files(folder.folder))


async def names(store: SQLiteStore) -> list[str]:
    certs, _ = await store.list(Certificate)
    return sorted(c.name for c in certs)


async def test_applies_updates_and_prunes(store: SQLiteStore, tmp_path: Path) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "issuer.yaml").write_text(ISSUER)
    (folder / "certs.yaml").write_text(cert_yaml("a", "a.test") + "---\n" + cert_yaml("b", "b.test"))
    (folder / ".hidden.yaml").write_text(cert_yaml("hidden", "h.test"))
    watcher = ManifestsFolder(store, folder)
    await sync(watcher)
    assert await names(store) == ["a", "b"]
    a = await store.get(Certificate, "a", "default")
    assert (a.metadata.labels or {})[FROM_FOLDER_LABEL] == "true"

    (folder / "certs.yaml").write_text(cert_yaml("a", "a2.test"))
    await sync(watcher)
    assert await names(store) == ["a"]
    assert (await store.get(Certificate, "a", "default")).spec.dns_names == ["a2.test"]

    (folder / "issuer.yaml").unlink()
    await sync(watcher)
    with pytest.raises(NotFound):
        await store.get(Issuer, "ss", "default")


async def test_a_broken_file_keeps_what_it_applied_and_is_reported(
    store: SQLiteStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "certs.yaml").write_text(cert_yaml("a", "a.test"))
    watcher = ManifestsFolder(store, folder)
    await sync(watcher)
    (folder / "certs.yaml").write_text(cert_yaml("a", "a.test").replace("dnsNames", "dnsNamez"))
    with caplog.at_level(logging.ERROR):
        await sync(watcher)
    assert await names(store) == ["a"]
    assert any("spec.dnsNamez" in str(getattr(r, "reason", "")) for r in caplog.records)


async def test_objects_applied_by_hand_are_never_pruned(store: SQLiteStore, tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    await apply_objects(store, [certificate("manual", "default", issuer="ss", dns_names=["m.test"])])
    watcher = ManifestsFolder(store, folder)
    (folder / "c.yaml").write_text(cert_yaml("a", "a.test"))
    await sync(watcher)
    (folder / "c.yaml").unlink()
    await sync(watcher)
    assert await names(store) == ["manual"]


async def test_after_a_restart_files_removed_meanwhile_are_pruned(store: SQLiteStore, tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "a.yaml").write_text(cert_yaml("a", "a.test"))
    (folder / "b.yaml").write_text(cert_yaml("b", "b.test"))
    await sync(ManifestsFolder(store, folder))
    (folder / "b.yaml").unlink()
    restarted = ManifestsFolder(store, folder)
    await restarted.adopt_existing()
    await sync(restarted)
    assert await names(store) == ["a"]


GATEWAY = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\nspec: {}\n"


async def test_a_file_with_an_unknown_kind_is_refused_naming_the_flag_unless_it_is_set(
    store: SQLiteStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "app.yaml").write_text(GATEWAY + "---\n" + ISSUER + "---\n" + cert_yaml("a", "a.test"))
    caplog.set_level(logging.INFO)
    await sync(ManifestsFolder(store, folder))
    assert await names(store) == []
    refused = [r for r in caplog.records if r.getMessage() == "manifest not applied"]
    assert "--ignore-unknown-kinds" in refused[0].reason  # type: ignore[attr-defined]

    caplog.clear()
    await sync(ManifestsFolder(store, folder, ignore_unknown_kinds=True))
    assert await names(store) == ["a"]
    skipped = [r for r in caplog.records if r.getMessage() == "manifest document skipped"]
    assert len(skipped) == 1 and skipped[0].levelno == logging.WARNING
    assert "Gateway/gw" in skipped[0].reason  # type: ignore[attr-defined]
