"""The webhook DNS-01 provider against a real local HTTP server playing a cert-manager webhook solver.

The peer is an aiohttp server on 127.0.0.1 speaking the ChallengePayload contract (a real HTTP server,
not a mock of the client): it keeps presented TXT values in memory and fails when its config says so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from certpilot.acme.solvers.dns01.errors import InvalidProviderConfig, WebhookError
from certpilot.acme.solvers.dns01.provider import Dns01Request
from certpilot.acme.solvers.dns01.webhook import WebhookProvider
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderWebhook

GROUP = "acme.example.test"


class FakeDnsWebhook:
    """A webhook solver: POST /apis/<group>/v1alpha1/<solver> with a ChallengePayload."""

    def __init__(self) -> None:
        self.records: dict[str, set[str]] = {}
        self.payloads: list[dict[str, Any]] = []

    async def handle(self, http_request: web.Request) -> web.Response:
        if http_request.match_info["solver"] == "broken":
            return web.Response(status=500, text="internal error")
        payload = await http_request.json()
        self.payloads.append(payload)
        req = payload["request"]
        if (req.get("config") or {}).get("fail"):
            status = {"status": "Failure", "message": "provider API said: zone is locked"}
            return web.json_response(
                {**payload, "response": {"uid": req["uid"], "success": False, "status": status}}
            )
        values = self.records.setdefault(req["resolvedFQDN"], set())
        if req["action"] == "Present":
            values.add(req["key"])
        else:
            values.discard(req["key"])
        return web.json_response({**payload, "response": {"uid": req["uid"], "success": True}})


@pytest.fixture
async def webhook_server() -> AsyncIterator[tuple[FakeDnsWebhook, str]]:
    solver = FakeDnsWebhook()
    app = web.Application()
    app.router.add_post("/apis/{group}/v1alpha1/{solver}", solver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield solver, f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def no_secrets(name: str, key: str) -> bytes:
    raise KeyError(name)


def request(solver_name: str = "mydns", config: object = None) -> Dns01Request:
    return Dns01Request(
        dns_name="hook.example.test",
        fqdn="_acme-challenge.hook.example.test.",
        zone="example.test.",
        value="hook-value",
        config=ACMEIssuerDNS01ProviderWebhook(group_name=GROUP, solver_name=solver_name, config=config),
        get_secret_value=no_secrets,
        challenge_uid="uid-7",
        resource_namespace="team-a",
    )


async def test_present_and_cleanup_follow_the_contract(webhook_server: tuple[FakeDnsWebhook, str]) -> None:
    solver, url = webhook_server
    provider = WebhookProvider({GROUP: url}, timeout=5)
    await provider.present(request(config={"zone": "x"}))
    assert solver.records["_acme-challenge.hook.example.test."] == {"hook-value"}
    sent = solver.payloads[0]
    assert sent["apiVersion"] == "webhook.acme.cert-manager.io/v1alpha1"
    assert sent["request"]["action"] == "Present"
    assert sent["request"]["uid"] == "uid-7"
    assert sent["request"]["resourceNamespace"] == "team-a"
    assert sent["request"]["config"] == {"zone": "x"}
    await provider.cleanup(request(config={"zone": "x"}))
    assert solver.payloads[1]["request"]["action"] == "CleanUp"
    assert solver.records["_acme-challenge.hook.example.test."] == set()


async def test_failure_response_carries_the_solvers_message(
    webhook_server: tuple[FakeDnsWebhook, str],
) -> None:
    _, url = webhook_server
    with pytest.raises(WebhookError, match="zone is locked") as caught:
        await WebhookProvider({GROUP: url}).present(request(config={"fail": True}))
    assert "hook-value" not in str(caught.value)


async def test_http_error_is_a_webhook_error(webhook_server: tuple[FakeDnsWebhook, str]) -> None:
    _, url = webhook_server
    with pytest.raises(WebhookError, match="HTTP 500"):
        await WebhookProvider({GROUP: url}).present(request("broken"))


async def test_unreachable_webhook_is_a_webhook_error(webhook_server: tuple[FakeDnsWebhook, str]) -> None:
    _, url = webhook_server
    closed = url.rsplit(":", 1)[0] + ":1"
    with pytest.raises(WebhookError, match="failed to Present"):
        await WebhookProvider({GROUP: closed}, timeout=5).present(request())


async def test_group_without_configured_url_says_how_to_fix_it() -> None:
    with pytest.raises(InvalidProviderConfig, match=f"no URL configured for DNS-01 webhook group '{GROUP}'"):
        await WebhookProvider({}).present(request())
