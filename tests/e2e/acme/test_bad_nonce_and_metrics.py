"""Being a good ACME citizen against a real pebble: many orders succeed while 30% of good nonces
are rejected, and every HTTP request lands in cert-manager's ACME client metrics under the ACME
operation it served (the `action` label)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest
from acme import messages
from cryptography.hazmat.primitives.asymmetric import ec
from josepy.jwk import JWKEC

from certpilot.acme.client import AcmeClient, challenge_token
from certpilot.acme.solvers.http01 import Http01Solver
from certpilot.server.metrics import ACME_CLIENT_REQUEST_COUNT, ACME_CLIENT_REQUEST_DURATION, REGISTRY
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.acme.acme_flows import issue, new_csr
from tests.e2e.acme.acme_harness import client_for

pytestmark = pytest.mark.peers


def request_count(client: AcmeClient, action: str, method: str, status: str) -> float:
    host = urlsplit(client.directory_url).netloc
    return ACME_CLIENT_REQUEST_COUNT.value("https", host, action, method, status)


async def test_ten_orders_succeed_while_pebble_rejects_30_percent_of_nonces(
    nonce_rejecting_pebble: PebbleServer, http01_solver: Http01Solver
) -> None:
    client = client_for(nonce_rejecting_pebble, JWKEC(key=ec.generate_private_key(ec.SECP256R1())))
    client.register("ops@example.test")

    def present(challenge: messages.ChallengeBody, _: messages.AuthorizationResource) -> None:
        http01_solver.present(challenge_token(challenge), client.key_authorization(challenge))

    # Concurrently, through one client shared by the worker threads, as the controllers will.
    chains = await asyncio.gather(
        *(issue(client, new_csr([f"nonce{index}.example.test"]), "http-01", present) for index in range(10))
    )

    assert all("BEGIN CERTIFICATE" in chain for chain in chains)
    assert request_count(client, "authorize_order", "POST", "201") == 10
    # Some POSTs were refused with badNonce (HTTP 400) and retried.
    rejected = sum(
        request_count(client, action, "POST", "400")
        for action in (
            "authorize_order",
            "get_order",
            "get_authorization",
            "get_challenge",
            "accept_challenge",
            "create_order_cert",
            "fetch_cert",
            "get_registration",
            "register_account",
        )
    )
    assert rejected > 0
    assert request_count(client, "unnamed_action", "POST", "200") == 0


def test_every_request_is_counted_and_timed(pebble: PebbleServer, account_key: JWKEC) -> None:
    client = client_for(pebble, account_key)
    directory_before = request_count(client, "discover", "GET", "200")
    accounts_before = request_count(client, "get_registration", "POST", "400")
    host = urlsplit(client.directory_url).netloc
    duration_labels = {
        "scheme": "https",
        "host": host,
        "action": "discover",
        "method": "GET",
        "status": "200",
    }
    timed_before = (
        REGISTRY.get_sample_value(
            "certmanager_http_acme_client_request_duration_seconds_count", duration_labels
        )
        or 0.0
    )

    assert client.find_account() is None  # GET /dir, HEAD /nonce-plz, POST /sign-me-up -> 400

    assert request_count(client, "discover", "GET", "200") == directory_before + 1
    assert request_count(client, "get_registration", "POST", "400") == accounts_before + 1
    # The nonce is fetched for, and counted under, the operation that needs it.
    assert request_count(client, "get_registration", "HEAD", "200") >= 1
    assert ACME_CLIENT_REQUEST_DURATION is not None
    assert (
        REGISTRY.get_sample_value(
            "certmanager_http_acme_client_request_duration_seconds_count", duration_labels
        )
        == timed_before + 1
    )
