"""The webhook DNS-01 provider, standalone (`--dns01-webhook-url`), against the suite's stand-in for a
cert-manager DNS webhook (certpilot.testing.peers.dns_webhook): a real HTTP(S) server speaking the
ChallengePayload API whose solver writes TXT records to a real BIND by RFC2136."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime

import pytest

from certpilot.acme.solvers.dns01.errors import InvalidProviderConfig, WebhookError
from certpilot.acme.solvers.dns01.provider import Dns01Request
from certpilot.acme.solvers.dns01.webhook import DirectUrls, WebhookProvider
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderWebhook
from certpilot.server.serving_certificates import issue_serving, new_ca
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.dns_webhook import DnsWebhookServer

GROUP = "acme.example.test"
SOLVER = "rfc2136-standin"
FQDN = "_acme-challenge.hook.example.test."


async def no_secrets(name: str, key: str) -> bytes:
    raise KeyError(name)


def request(value: str, solver_name: str = SOLVER, config: object = None) -> Dns01Request:
    return Dns01Request(
        dns_name="hook.example.test",
        fqdn=FQDN,
        zone="example.test.",
        value=value,
        config=ACMEIssuerDNS01ProviderWebhook(group_name=GROUP, solver_name=solver_name, config=config),
        get_secret_value=no_secrets,
        resource_namespace="team-a",
    )


async def test_present_and_cleanup_write_through_the_webhook_to_bind(bind: BindServer) -> None:
    async with DnsWebhookServer(GROUP, bind) as hook:
        provider = WebhookProvider(DirectUrls({GROUP: hook.url}, timeout=10))
        await provider.present(request("value-one", config={"ttl": 30}))
        await provider.present(request("value-one", config={"ttl": 30}))  # idempotent
        await provider.present(request("value-two"))
        assert bind.query_txt(FQDN) == ["value-one", "value-two"]

        await provider.cleanup(request("value-one", config={"ttl": 30}))
        assert bind.query_txt(FQDN) == ["value-two"]
        await provider.cleanup(request("value-two"))
        await provider.cleanup(request("value-two"))  # already gone: still a success
        assert bind.query_txt(FQDN) == []

        first, *_, last = (call.body for call in hook.calls)
        # Exactly cert-manager's body: no apiVersion or kind, an empty uid, the block's config only.
        assert first == {
            "request": {
                "uid": "",
                "action": "Present",
                "type": "dns-01",
                "dnsName": "hook.example.test",
                "key": "value-one",
                "resourceNamespace": "team-a",
                "resolvedFQDN": FQDN,
                "resolvedZone": "example.test.",
                "allowAmbientCredentials": False,
                "config": {"ttl": 30},
            }
        }
        assert last["request"]["action"] == "CleanUp"
        assert "config" not in last["request"]


async def test_a_solver_failure_carries_its_message_and_never_the_key(bind: BindServer) -> None:
    async with DnsWebhookServer(GROUP, bind) as hook:
        provider = WebhookProvider(DirectUrls({GROUP: hook.url}, timeout=10))
        refused = r"RFC2136 update of not-served\.test\. was answered"
        with pytest.raises(WebhookError, match=refused) as caught:
            await provider.present(request("secret-key-auth", config={"zone": "not-served.test."}))
        assert "secret-key-auth" not in str(caught.value)
        assert f"{GROUP}/{SOLVER}" in str(caught.value)


async def test_an_api_error_is_reported_with_the_status_message(bind: BindServer) -> None:
    async with DnsWebhookServer(GROUP, bind) as hook:
        provider = WebhookProvider(DirectUrls({GROUP: hook.url}, timeout=10))
        with pytest.raises(WebhookError, match="HTTP 404 to Present: the server could not find"):
            await provider.present(request("v", solver_name="no-such-solver"))


async def test_the_solver_is_called_over_https_trusting_its_ca(bind: BindServer) -> None:
    now = datetime.now(UTC)
    ca = new_ca(now)
    trusted = ssl.create_default_context(cadata=ca.certificate_pem.decode())
    async with DnsWebhookServer(GROUP, bind, serving=issue_serving(ca, ["127.0.0.1"], now)) as hook:
        assert hook.url.startswith("https://")
        await WebhookProvider(DirectUrls({GROUP: hook.url}, ssl_context=trusted)).present(request("tls-v"))
        assert bind.query_txt(FQDN) == ["tls-v"]
        with pytest.raises(WebhookError, match="CERTIFICATE_VERIFY_FAILED"):
            await WebhookProvider(DirectUrls({GROUP: hook.url})).cleanup(request("tls-v"))
        await WebhookProvider(DirectUrls({GROUP: hook.url}, ssl_context=trusted)).cleanup(request("tls-v"))
        assert bind.query_txt(FQDN) == []


async def test_an_unreachable_webhook_is_a_webhook_error(bind: BindServer) -> None:
    async with DnsWebhookServer(GROUP, bind) as hook:
        closed = hook.url
    with pytest.raises(WebhookError, match=f"{GROUP}/{SOLVER} at {closed}"):
        await WebhookProvider(DirectUrls({GROUP: closed}, timeout=5)).present(request("v"))


async def test_a_group_without_a_url_says_how_to_fix_it() -> None:
    with pytest.raises(InvalidProviderConfig, match=f"no URL configured for DNS-01 webhook group '{GROUP}'"):
        await WebhookProvider(DirectUrls({})).present(request("v"))
