"""Encryption at rest (store/sealing.py): Secrets are sealed with AES-GCM in the objects table and
the change log; no key material reaches the file; a store holding ciphertext refuses to open
without its key; `certpilot rotate-encryption-key` re-seals everything."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from certpilot.api.core import Secret
from certpilot.cli.main import app
from certpilot.store.sealing import EncryptionKeyError, Sealing, key_id
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.builders import certificate, ec_key, secret_tls

KEY_A = os.urandom(32)
KEY_B = os.urandom(32)


def _private_key_pem() -> bytes:
    return ec_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _on_disk(path: Path) -> bytes:
    """Every byte of the store: the database file and its WAL."""
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def _forms(secret_bytes: bytes) -> list[bytes]:
    """The ways a value could show up in the file: raw, base64 (as Secret data is stored), and the
    base64 body of a PEM (a line of it)."""
    lines = [line for line in secret_bytes.splitlines() if line and not line.startswith(b"-----")]
    return [secret_bytes, base64.b64encode(secret_bytes), *lines[:2]]


async def _write_secret_and_certificate(path: Path, sealing: Sealing, key_pem: bytes) -> None:
    store = SQLiteStore(path, sealing=sealing)
    try:
        created = await store.create(secret_tls("web-tls", cert_pem=b"CERT", key_pem=key_pem))
        created.set_data("tls.key", key_pem + b"\n")
        await store.update(created)  # a second version in the change log
        await store.create(certificate("web", secret_name="web-tls"))
    finally:
        await store.close()


async def test_sealed_secrets_leave_no_key_material_in_the_file(tmp_path: Path) -> None:
    path, key_pem = tmp_path / "store.db", _private_key_pem()
    await _write_secret_and_certificate(path, Sealing.with_keys(KEY_A), key_pem)
    raw = _on_disk(path)
    assert not [form for form in _forms(key_pem) if form in raw]
    assert KEY_A not in raw and base64.b64encode(KEY_A) not in raw
    assert b"certpilot-sealed:v1:" + key_id(KEY_A).encode() in raw
    assert b'"name":"web"' in raw  # other kinds stay plain JSON

    store = SQLiteStore(path, sealing=Sealing.with_keys(KEY_A))
    try:
        secret = await store.get(Secret, "web-tls", "default")
        assert secret.get_data("tls.key") == key_pem + b"\n"
        events = [event async for event in _first_events(store)]
        assert [e.object.get_data("tls.key") for e in events] == [key_pem + b"\n"]
    finally:
        await store.close()


async def _first_events(store: SQLiteStore):  # type: ignore[no-untyped-def]
    async for event in store.watch(Secret):
        yield event
        return


async def test_without_a_sealing_key_the_plain_store_holds_the_key(tmp_path: Path) -> None:
    """The check above can fail: unsealed, the key is there in base64."""
    path, key_pem = tmp_path / "store.db", _private_key_pem()
    await _write_secret_and_certificate(path, Sealing(), key_pem)
    assert base64.b64encode(key_pem) in _on_disk(path)


@pytest.mark.parametrize("sealing", [Sealing(), Sealing.with_keys(KEY_B)], ids=["no key", "wrong key"])
async def test_a_sealed_store_opened_without_its_key_says_which_key(tmp_path: Path, sealing: Sealing) -> None:
    path = tmp_path / "store.db"
    await _write_secret_and_certificate(path, Sealing.with_keys(KEY_A), _private_key_pem())
    store = SQLiteStore(path, sealing=sealing)
    try:
        with pytest.raises(
            EncryptionKeyError, match=f"encrypted with key {key_id(KEY_A)}.*--encryption-key-file"
        ):
            await store.check_open()
    finally:
        await store.close()


def _key_file(path: Path, key: bytes) -> Path:
    path.write_text(base64.b64encode(key).decode() + "\n")
    return path


def test_rotation_through_the_cli_seals_a_plain_store_then_rotates_its_key(tmp_path: Path) -> None:
    store, manifest = tmp_path / "store.db", tmp_path / "secret.yaml"
    key_pem = _private_key_pem()
    manifest.write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: web-tls}\ntype: kubernetes.io/tls\n"
        f"data: {{tls.crt: Q0VSVA==, tls.key: {base64.b64encode(key_pem).decode()}}}\n"
    )
    key_a, key_b = _key_file(tmp_path / "a.key", KEY_A), _key_file(tmp_path / "b.key", KEY_B)
    runner = CliRunner()

    def certpilot(*arguments: str, key: Path | None = None) -> str:
        environment = {"CERTPILOT_STORE": str(store), "CERTPILOT_ENCRYPTION_KEY_FILE": str(key or "")}
        result = runner.invoke(app, list(arguments), env=environment)
        return f"{result.exit_code} {result.output}{result.exception or ''}"

    assert certpilot("apply", "-f", str(manifest)).startswith("0 secret/web-tls created")
    assert base64.b64encode(key_pem) in _on_disk(store)
    assert certpilot("rotate-encryption-key", "--new-key-file", str(key_a)).startswith("0 re-encrypted 2 ")
    assert base64.b64encode(key_pem) not in _on_disk(store)
    assert "encrypted with key" in certpilot("get", "secret", "web-tls")
    assert certpilot("get", "secret", "web-tls", key=key_a).startswith("0 NAME")
    rotated = certpilot("rotate-encryption-key", "--new-key-file", str(key_b), key=key_a)
    assert rotated.startswith(f"0 re-encrypted 2 Secret bodies with key {key_id(KEY_B)}")
    assert f"encrypted with key {key_id(KEY_B)}" in certpilot("get", "secret", "web-tls", key=key_a)
    assert certpilot("get", "secret", "web-tls", key=key_b).startswith("0 NAME")


def test_a_key_file_that_is_not_32_bytes_of_base64_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    result = CliRunner().invoke(
        app, ["rotate-encryption-key", "--new-key-file", str(bad), "--store", str(tmp_path / "s.db")]
    )
    assert result.exit_code != 0
