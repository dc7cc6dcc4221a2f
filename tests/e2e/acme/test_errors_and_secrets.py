"""Typed errors and secret hygiene: a failed validation's problem (pebble echoes the expected key
authorization in it) is redacted; the account key appears in no error or repr; unreachable and
throttling servers raise the typed errors the runtime acts on."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from acme import messages
from aiohttp import web
from josepy.jwk import JWKEC

from certpilot.acme.client import AcmeClient, challenge_token, problem_message
from certpilot.acme.client_errors import AcmeError, AcmeRetryLater, AcmeServerUnavailable
from certpilot.acme.solvers.http01 import Http01Solver
from certpilot.runtime.errors import PendingError, RetryWithBackoff
from certpilot.testing.peers.pebble import PebbleServer
from certpilot.testing.peers.ports import free_port
from tests.e2e.acme.acme_flows import authorize, new_csr

pytestmark = pytest.mark.peers


def private_parts(key: JWKEC) -> list[str]:
    return [key.to_json()["d"], str(key.key.private_numbers().private_value)]


async def test_failed_validation_never_leaks_the_key_authorization_or_account_key(
    acme_client: AcmeClient, http01_solver: Http01Solver, account_key: JWKEC
) -> None:
    csr = new_csr(["wrong-answer.example.test"])
    order = acme_client.new_order(csr)
    key_authorizations: list[str] = []

    def present_wrong_answer(challenge: messages.ChallengeBody, _: messages.AuthorizationResource) -> None:
        key_authorizations.append(acme_client.key_authorization(challenge))
        http01_solver.present(challenge_token(challenge), "not-the-key-authorization")

    order = await authorize(acme_client, order, "http-01", present_wrong_answer)
    assert order.body.status.name == "invalid"
    authz = await asyncio.to_thread(acme_client.get_authorization, order.body.authorizations[0])
    problem = next(c.error for c in authz.body.challenges if c.error is not None)
    assert problem.detail is not None
    assert key_authorizations[0] in problem.detail  # pebble does echo it: redaction is needed

    with pytest.raises(AcmeError) as failure:
        await asyncio.to_thread(acme_client.finalize, order, csr)

    texts = [problem_message(problem), str(failure.value), repr(failure.value), repr(acme_client)]
    texts.append(str(AcmeError("wrapped", detail=problem.detail).detail))
    assert failure.value.code == "orderNotReady"
    assert "unauthorized" in problem_message(problem)
    for text in texts:
        assert key_authorizations[0] not in text
        for secret in private_parts(account_key):
            assert secret not in text


def test_unreachable_server_is_a_retryable_typed_error(account_key: JWKEC) -> None:
    client = AcmeClient(f"https://127.0.0.1:{free_port()}/dir", account_key, timeout=2)
    with pytest.raises(AcmeServerUnavailable, match="cannot reach the ACME server") as failure:
        client.register("ops@example.test")
    assert isinstance(failure.value, RetryWithBackoff)


def test_wrong_ca_bundle_is_reported_as_unreachable(pebble: PebbleServer, account_key: JWKEC) -> None:
    client = AcmeClient(pebble.directory_url, account_key, verify=True)
    with pytest.raises(AcmeServerUnavailable, match="CA bundle"):
        client.find_account()


@pytest.fixture
async def throttling_server() -> AsyncIterator[tuple[str, list[web.StreamResponse]]]:
    """A stand-in ACME server (mock: pebble never sends 429 / 503 / Retry-After). Answers GET and
    POST with the queued responses in order, then a minimal directory; HEAD hands out nonces."""
    queued: list[web.StreamResponse] = []
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    async def answer(request: web.Request) -> web.StreamResponse:
        if request.method == "HEAD":
            return web.Response(headers={"Replay-Nonce": "bm9uY2UtMQ"})
        if queued:
            return queued.pop(0)
        return web.json_response(
            {"newNonce": f"{base}/nonce", "newAccount": f"{base}/account", "newOrder": f"{base}/order"}
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"{base}/dir", queued
    await runner.cleanup()


def throttled(status: int, retry_after: str, problem: str = "rateLimited") -> web.Response:
    return web.json_response(
        {"type": f"urn:ietf:params:acme:error:{problem}", "detail": "too many requests for this test"},
        status=status,
        headers={"Retry-After": retry_after, "Replay-Nonce": "bm9uY2UtMg"},
        content_type="application/problem+json",
    )


async def test_a_short_retry_after_is_waited_inline(
    throttling_server: tuple[str, list[web.StreamResponse]], account_key: JWKEC
) -> None:
    url, queued = throttling_server
    queued.append(throttled(503, "0"))
    client = AcmeClient(url, account_key)
    assert await asyncio.to_thread(client.external_account_required) is False
    assert not queued


async def test_a_long_retry_after_becomes_retry_later(
    throttling_server: tuple[str, list[web.StreamResponse]], account_key: JWKEC
) -> None:
    url, queued = throttling_server
    queued.append(throttled(429, "120"))
    client = AcmeClient(url, account_key)
    with pytest.raises(AcmeRetryLater) as failure:
        await asyncio.to_thread(client.external_account_required)
    assert failure.value.seconds == 120
    assert isinstance(failure.value, PendingError)
    assert failure.value.requeue_after == 120
    assert failure.value.code == "rateLimited"
    assert "retry in 120s" in str(failure.value)


async def test_a_throttled_post_is_retried_with_a_fresh_nonce(
    throttling_server: tuple[str, list[web.StreamResponse]], account_key: JWKEC
) -> None:
    url, queued = throttling_server
    client = AcmeClient(url, account_key)
    await asyncio.to_thread(client.external_account_required)
    queued.extend([throttled(503, "0"), throttled(400, "0", problem="accountDoesNotExist")])
    assert await asyncio.to_thread(client.find_account) is None
    assert not queued
