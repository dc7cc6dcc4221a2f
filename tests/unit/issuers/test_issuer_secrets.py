"""Reading referenced Secrets: errors name the Secret and key and never carry the data."""

from __future__ import annotations

import pytest

from certpilot.issuers.secrets import (
    SecretDataInvalid,
    SecretKeyMissing,
    SecretMissing,
    read_key_pair,
    read_private_key,
)
from certpilot.store.sqlite import SQLiteStore
from tests.unit.issuers.issuer_material import NAMESPACE, key_secret, new_key, pem, root_ca, tls_secret


async def test_missing_secret(store: SQLiteStore) -> None:
    with pytest.raises(SecretMissing, match='secret "default/nope" not found'):
        await read_private_key(store, NAMESPACE, "nope")


async def test_missing_key(store: SQLiteStore) -> None:
    key = new_key()
    await store.create(tls_secret("ca", pem(root_ca(key)), None))
    with pytest.raises(SecretKeyMissing, match=r'has no data key "tls\.key"'):
        await read_key_pair(store, NAMESPACE, "ca")


async def test_certificate_data_that_is_not_pem(store: SQLiteStore) -> None:
    await store.create(tls_secret("ca", b"garbage", new_key()))
    with pytest.raises(SecretDataInvalid, match=r'key "tls\.crt" does not hold PEM certificates'):
        await read_key_pair(store, NAMESPACE, "ca")


async def test_key_pair_round_trips(store: SQLiteStore) -> None:
    key = new_key()
    root = root_ca(key)
    await store.create(tls_secret("ca", pem(root), key))
    await store.create(key_secret("k", key))
    pair = await read_key_pair(store, NAMESPACE, "ca")
    assert pair.certificates == [root]
    assert (await read_private_key(store, NAMESPACE, "k")).public_key() == key.public_key()
