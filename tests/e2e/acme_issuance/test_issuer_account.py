"""The ACME issuer's account: External Account Binding with the right and a wrong key, and
preferredChain choosing pebble's alternate root."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from cryptography import x509

from certpilot.api.conditions import get_condition
from certpilot.api.core import Secret
from certpilot.api.issuer import Issuer
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.acme_issuance.issuance_harness import (
    EAB_HMAC_KEY,
    EAB_KEY_ID,
    Daemon,
    acme_issuer,
    certificate,
    chain_of,
    condition_is,
    eab_secret,
    openssl_verify,
)

StartDaemon = Callable[..., Awaitable[Daemon]]
WRONG_HMAC_KEY = base64.urlsafe_b64encode(b"w" * 48).decode().rstrip("=")


def eab_pebble(pebble_factory: Callable[..., PebbleServer]) -> PebbleServer:
    return pebble_factory("eab", eab_required=True, eab_keys={EAB_KEY_ID: EAB_HMAC_KEY})


def binding(secret_name: str) -> dict[str, Any]:
    return {
        "keyID": EAB_KEY_ID,
        "keySecretRef": {"name": secret_name, "key": "secret"},
        "keyAlgorithm": "HS256",
    }


async def test_eab_with_the_right_key_makes_the_issuer_ready(
    daemons: StartDaemon, pebble_factory: Callable[..., PebbleServer]
) -> None:
    daemon = await daemons()
    await daemon.create(eab_secret(EAB_HMAC_KEY, "eab-good"))
    await daemon.create(acme_issuer(eab_pebble(pebble_factory), external_account_binding=binding("eab-good")))
    issuer = await daemon.wait_for(Issuer, "acme", condition_is("Ready", "True", "ACMEAccountRegistered"))
    assert issuer.status is not None and issuer.status.acme is not None and issuer.status.acme.uri


async def test_eab_with_a_wrong_key_leaves_the_issuer_not_ready_with_a_clear_reason(
    daemons: StartDaemon, pebble_factory: Callable[..., PebbleServer]
) -> None:
    daemon = await daemons()
    await daemon.create(eab_secret(WRONG_HMAC_KEY, "eab-bad"))
    await daemon.create(acme_issuer(eab_pebble(pebble_factory), external_account_binding=binding("eab-bad")))
    issuer = await daemon.wait_for(Issuer, "acme", condition_is("Ready", "False", "ErrRegisterACMEAccount"))
    ready = get_condition(issuer.status.conditions if issuer.status else None, "Ready")
    assert ready is not None and ready.message is not None
    assert ready.message.startswith("Failed to register ACME account")
    assert "unauthorized" in ready.message or "externalAccount" in ready.message
    assert WRONG_HMAC_KEY not in ready.message


async def test_preferred_chain_picks_the_alternate_root(
    daemons: StartDaemon, pebble_factory: Callable[..., PebbleServer], tmp_path: Path
) -> None:
    pebble = pebble_factory("alternate", env={"PEBBLE_ALTERNATE_ROOTS": "1"})
    alternate_root = pebble.fetch_root(1)
    root_name = (
        x509.load_pem_x509_certificate(alternate_root.encode())
        .subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0]
        .value
    )
    assert isinstance(root_name, str)
    daemon = await daemons()
    await daemon.create(acme_issuer(pebble, preferred_chain=root_name))
    await daemon.create(certificate("alt", ["alt.example.test"]))
    await daemon.wait_ready("alt")

    secret = await daemon.get(Secret, "alt-tls")
    assert secret is not None
    assert openssl_verify(chain_of(secret), alternate_root, tmp_path).returncode == 0
    assert openssl_verify(chain_of(secret), pebble.fetch_root(0), tmp_path).returncode != 0
