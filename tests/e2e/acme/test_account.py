"""ACME accounts against a real pebble: one key = one account, contact updates, EAB."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from josepy.jwk import JWKEC, JWKRSA

from certpilot.acme.client import AcmeClient, ExternalAccountBinding
from certpilot.acme.client_errors import AcmeAccountNotFound, AcmeError
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.acme.acme_flows import new_csr
from tests.e2e.acme.acme_harness import EAB_HMAC_KEY, EAB_KEY_ID, client_for

pytestmark = pytest.mark.peers


def test_register_then_register_again_returns_the_same_account(
    pebble: PebbleServer, account_key: JWKEC
) -> None:
    first = client_for(pebble, account_key).register("ops@example.test")
    again = client_for(pebble, account_key).register("someone-else@example.test")

    assert first.uri == again.uri
    assert first.status == "valid"
    assert again.emails == ("ops@example.test",)


def test_an_unknown_key_has_no_account(pebble: PebbleServer, account_key: JWKEC) -> None:
    client = client_for(pebble, account_key)

    assert client.find_account() is None
    with pytest.raises(AcmeAccountNotFound, match="register it first"):
        client.new_order(b"unused: refused before reading the CSR")


def test_rsa_account_keys_work_too(pebble: PebbleServer) -> None:
    key = JWKRSA(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    account = client_for(pebble, key).register(None)
    assert account.contact == ()


def test_update_email_replaces_the_contact(acme_client: AcmeClient, pebble: PebbleServer) -> None:
    updated = acme_client.update_email("new@example.test")
    assert updated.emails == ("new@example.test",)
    assert updated.uri == acme_client.account_uri


def test_known_account_uri_skips_the_lookup(
    acme_client: AcmeClient, pebble: PebbleServer, account_key: JWKEC
) -> None:
    client = AcmeClient(
        pebble.directory_url,
        account_key,
        verify=str(pebble.ca_bundle_path),
        account_uri=acme_client.account_uri,
    )
    order = client.get_order(acme_client.new_order(new_csr(["account.example.test"])).uri or "")
    assert order.body.status.name == "pending"


def test_eab_with_the_right_key_registers(eab_pebble: PebbleServer) -> None:
    client = client_for(eab_pebble, JWKEC(key=ec.generate_private_key(ec.SECP256R1())))
    assert client.external_account_required()

    account = client.register("ops@example.test", ExternalAccountBinding(EAB_KEY_ID, EAB_HMAC_KEY))

    assert account.status == "valid"


def test_eab_with_a_wrong_key_fails_with_a_clear_error(eab_pebble: PebbleServer) -> None:
    client = client_for(eab_pebble, JWKEC(key=ec.generate_private_key(ec.SECP256R1())))
    wrong = ExternalAccountBinding(EAB_KEY_ID, "d3JvbmctaG1hYy1rZXktZm9yLXRlc3Rpbmctb25seS0xMjM0NTY3ODkw")

    with pytest.raises(AcmeError) as failure:
        client.register("ops@example.test", wrong)

    assert "registering the ACME account" in str(failure.value)
    assert failure.value.code == "unauthorized"
    assert wrong.hmac_key not in str(failure.value)
    assert wrong.hmac_key not in repr(wrong)


def test_missing_eab_is_refused_before_asking_the_server(eab_pebble: PebbleServer) -> None:
    client = client_for(eab_pebble, JWKEC(key=ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(AcmeError, match="requires an external account binding"):
        client.register("ops@example.test")
