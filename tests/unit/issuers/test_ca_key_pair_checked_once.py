"""The CA Secret's key pair is parsed and checked once per Secret version, not on every signing;
its validity period is still checked against the clock every time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from certpilot.api.core import Secret
from certpilot.api.issuer import CAIssuer, Issuer, IssuerSpec
from certpilot.api.meta import ObjectMeta
from certpilot.issuers import ca as ca_module
from certpilot.issuers.base import IssuerContext, IssuerNotReady
from certpilot.issuers.ca import CAIssuerBackend
from certpilot.issuers.secrets import KeyPair
from certpilot.pki.keys import encode_private_key
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock
from tests.unit.issuers.issuer_material import NAMESPACE, NOW, new_key, pem, request, root_ca, tls_secret


def context(store: SQLiteStore, clock: FakeClock) -> IssuerContext:
    issuer = Issuer(
        metadata=ObjectMeta(name="ca", namespace=NAMESPACE),
        spec=IssuerSpec(ca=CAIssuer(secret_name="ca-key-pair")),
    )
    return IssuerContext(issuer=issuer, resource_namespace=NAMESPACE, store=store, clock=clock)


@pytest.fixture
def pair_checks(monkeypatch: pytest.MonkeyPatch) -> list[KeyPair]:
    checked: list[KeyPair] = []
    real_defect = ca_module.ca_key_pair_defect

    def counting_defect(pair: KeyPair) -> str | None:
        checked.append(pair)
        return real_defect(pair)

    monkeypatch.setattr(ca_module, "ca_key_pair_defect", counting_defect)
    return checked


async def test_signings_with_one_secret_version_check_the_pair_once(
    store: SQLiteStore, clock: FakeClock, pair_checks: list[KeyPair]
) -> None:
    root_key = new_key()
    await store.create(tls_secret("ca-key-pair", pem(root_ca(root_key)), root_key))
    backend = CAIssuerBackend()
    for name in ("a", "b", "c"):
        await backend.sign(context(store, clock), request(name, new_key()))
    await backend.check(context(store, clock))
    assert len(pair_checks) == 1


async def test_a_new_secret_version_is_checked_again(
    store: SQLiteStore, clock: FakeClock, pair_checks: list[KeyPair]
) -> None:
    root_key = new_key()
    await store.create(tls_secret("ca-key-pair", pem(root_ca(root_key)), root_key))
    backend = CAIssuerBackend()
    await backend.check(context(store, clock))
    await backend.check(context(store, clock))
    assert len(pair_checks) == 1
    secret = await store.get(Secret, "ca-key-pair", NAMESPACE)
    secret.set_data("tls.key", encode_private_key(new_key()))
    await store.update(secret)
    with pytest.raises(IssuerNotReady, match=r"tls\.key is not the private key") as caught:
        await backend.sign(context(store, clock), request("a", new_key()))
    assert caught.value.reason == "ErrInvalidKeyPair"
    assert len(pair_checks) == 2


async def test_expiry_is_checked_on_every_signing(store: SQLiteStore, clock: FakeClock) -> None:
    root_key = new_key()
    await store.create(tls_secret("ca-key-pair", pem(root_ca(root_key, days=10)), root_key))
    await CAIssuerBackend().sign(context(store, clock), request("a", new_key()))
    clock.advance(timedelta(days=11).total_seconds())
    with pytest.raises(IssuerNotReady, match="expired") as caught:
        await CAIssuerBackend().sign(context(store, clock), request("b", new_key()))
    assert caught.value.reason == "ErrInvalidKeyPair"


def test_a_secret_never_stored_is_checked_every_time(pair_checks: list[KeyPair]) -> None:
    root_key = new_key()
    secret = tls_secret("ca-key-pair", pem(root_ca(root_key, now=NOW)), root_key)
    backend = CAIssuerBackend()
    first = backend.remembered_checked_key_pair(secret, "here")
    second = backend.remembered_checked_key_pair(secret, "here")
    assert first.defect is None and second.defect is None
    assert len(pair_checks) == 2


async def test_a_rotated_ca_secret_is_in_the_next_chain_at_once(store: SQLiteStore, clock: FakeClock) -> None:
    old_key, new_ca_key = new_key(), new_key()
    old_ca, new_ca = root_ca(old_key), root_ca(new_ca_key)
    await store.create(tls_secret("ca-key-pair", pem(old_ca), old_key))
    backend = CAIssuerBackend()
    before = await backend.sign(context(store, clock), request("a", new_key()))
    secret = await store.get(Secret, "ca-key-pair", NAMESPACE)
    secret.set_data("tls.crt", pem(new_ca))
    secret.set_data("tls.key", encode_private_key(new_ca_key))
    await store.update(secret)

    after = await backend.sign(context(store, clock), request("b", new_key()))

    assert (before.ca, after.ca) == (pem(old_ca), pem(new_ca))
