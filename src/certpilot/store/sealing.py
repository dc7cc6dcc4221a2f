"""Encryption at rest of Secrets in the SQLite store: AES-256-GCM from `cryptography`.

A Secret's stored JSON body (in the objects table and in the change log) is replaced by
`certpilot-sealed:v1:<key id>:<base64 of nonce + ciphertext>`; other kinds stay plain JSON. The
key id (the first 8 bytes of the key's SHA-256, in hex) is stored with each ciphertext, so a
store may hold bodies sealed by an older key while `certpilot rotate-encryption-key` re-seals
them. The store's operations seal a body just before they write it and open one just after they
read it, in Python on the store's thread, with the Sealing the connection carries
(`StoreConnection.sealing`). Not as SQL functions called by SQLite: SQLite calls such a function
once per row from inside a query, and each call takes the GIL back from the event loop, with or
without a key (docs/performance.md, fifth pass). docs/security.md describes the key file and the
rotation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from certpilot.store.errors import StoreError

SEALED_PREFIX = "certpilot-sealed:v1:"
KEY_BYTES = 32
_NONCE_BYTES = 12
# Binds a ciphertext to its purpose: a sealed body cannot be passed off as anything else.
_ASSOCIATED_DATA = b"certpilot store: Secret body"
SEALED_KINDS = frozenset({("v1", "Secret")})


class EncryptionKeyError(StoreError):
    """A key file that cannot be used, or a store whose sealed Secrets no given key opens."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).digest()[:8].hex()


def read_key_file(path: Path) -> bytes:
    """The 32-byte key in path: its text is the key in base64 (`head -c 32 /dev/urandom | base64`)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise EncryptionKeyError(f"cannot read the encryption key file {path}: {error}") from None
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise EncryptionKeyError(
            f"the encryption key file {path} must hold {KEY_BYTES} random bytes in base64 "
            "(make one with: head -c 32 /dev/urandom | base64 > FILE)"
        )
    return key


ENCRYPTION_KEY_ENV = "CERTPILOT_ENCRYPTION_KEY_FILE"


@dataclass(frozen=True)
class Sealing:
    """The keys a store is opened with: `current` seals what is written (None: nothing is sealed);
    every key in `keys` opens what was sealed with it."""

    keys: Mapping[str, AESGCM] = field(default_factory=dict)
    current: str | None = None

    @classmethod
    def with_keys(cls, current: bytes | None, *older: bytes) -> Sealing:
        keys = {key_id(key): AESGCM(key) for key in (*older, *([current] if current else []))}
        return cls(keys, key_id(current) if current else None)

    @classmethod
    def from_key_file(cls, path: Path | None) -> Sealing:
        """Sealing with the key in path; nothing sealed when path is None."""
        return cls.with_keys(read_key_file(path)) if path is not None else cls()

    def seal(self, text: str, api_version: str, kind: str) -> str:
        if self.current is None or (api_version, kind) not in SEALED_KINDS or text.startswith(SEALED_PREFIX):
            return text
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self.keys[self.current].encrypt(nonce, text.encode(), _ASSOCIATED_DATA)
        return f"{SEALED_PREFIX}{self.current}:{base64.b64encode(nonce + sealed).decode()}"

    def open(self, text: str) -> str:
        if not text.startswith(SEALED_PREFIX):
            return text
        used, _, payload = text[len(SEALED_PREFIX) :].partition(":")
        key = self.keys.get(used)
        if key is None:
            raise EncryptionKeyError(f"a Secret is sealed with key {used}, which was not given")
        raw = base64.b64decode(payload)
        try:
            return key.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _ASSOCIATED_DATA).decode()
        except InvalidTag:
            raise EncryptionKeyError(
                f"a Secret sealed with key {used} does not open: it was altered"
            ) from None


class StoreConnection(sqlite3.Connection):
    """A connection to a store file with the keys its Secret bodies are sealed and opened with:
    the store's operations seal each body they write and open each one they read."""

    sealing: Sealing


def check_keys(connection: StoreConnection) -> None:
    """Raises EncryptionKeyError unless the connection has the key of every sealed body in the file."""
    keys = connection.sealing.keys
    missing = sorted(set(sealed_key_ids(connection)) - set(keys))
    if missing:
        given = ", ".join(sorted(keys)) or "none"
        raise EncryptionKeyError(
            f"the store holds Secrets encrypted with key {', '.join(missing)} (keys given: {given}): "
            "pass --encryption-key-file (or CERTPILOT_ENCRYPTION_KEY_FILE) with that key"
        )


def sealed_key_ids(connection: sqlite3.Connection) -> list[str]:
    """The ids of the keys that sealed bodies in the file."""
    start, length = len(SEALED_PREFIX) + 1, 2 * 8
    return [
        row[0]
        for row in connection.execute(
            f"SELECT DISTINCT substr(body, {start}, {length}) FROM objects WHERE body LIKE ? "  # noqa: S608
            f"UNION SELECT DISTINCT substr(body, {start}, {length}) FROM changes WHERE body LIKE ?",
            (SEALED_PREFIX + "%", SEALED_PREFIX + "%"),
        )
    ]


def reseal_everything(connection: StoreConnection) -> int:
    """Seal every Secret body again with the connection's current key (opening it with whichever
    key sealed it), in one transaction; the number of bodies rewritten."""
    sealing = connection.sealing
    kinds = " OR ".join("(api_version = ? AND kind = ?)" for _ in SEALED_KINDS)
    kind_values = [part for pair in sorted(SEALED_KINDS) for part in pair]
    rows_of_each_table = {"objects": "uid", "changes": "rv"}
    connection.execute("BEGIN IMMEDIATE")
    try:
        rewritten = 0
        for table, row_key in rows_of_each_table.items():
            rows = connection.execute(
                f"SELECT {row_key}, api_version, kind, body FROM {table} WHERE {kinds}",  # noqa: S608
                kind_values,
            ).fetchall()
            for key, api_version, kind, body in rows:
                resealed = sealing.seal(sealing.open(body), api_version, kind)
                connection.execute(f"UPDATE {table} SET body = ? WHERE {row_key} = ?", (resealed, key))  # noqa: S608
            rewritten += len(rows)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return rewritten
