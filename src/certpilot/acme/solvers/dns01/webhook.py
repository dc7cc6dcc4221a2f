"""cert-manager's webhook DNS-01 solver contract, so existing out-of-tree solvers work with certpilot.

A ChallengePayload (apiVersion webhook.acme.cert-manager.io/v1alpha1) is POSTed to
`<base URL>/apis/<groupName>/v1alpha1/<solverName>`; the solver answers with the same kind whose
`response.success` says whether it worked and `response.status.message` why not. In Kubernetes the base
URL is the API server (the solver is an aggregated API); standalone, `certpilot run
--dns01-webhook-url GROUP=URL` maps each groupName to the base URL of the solver's HTTP server
(`ControllerOptions.dns01_webhook_urls`, e.g. `{"acme.example.com": "https://127.0.0.1:8443"}`).
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Mapping
from typing import Any

import aiohttp
from yarl import URL

from certpilot.acme.solvers.dns01.errors import InvalidProviderConfig, WebhookError
from certpilot.acme.solvers.dns01.provider import Dns01Request
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderWebhook

WEBHOOK_API_VERSION = "webhook.acme.cert-manager.io/v1alpha1"
PRESENT = "Present"
CLEANUP = "CleanUp"
MAX_MESSAGE_CHARS = 500


def challenge_payload(
    request: Dns01Request, config: ACMEIssuerDNS01ProviderWebhook, action: str
) -> dict[str, Any]:
    """The ChallengePayload body cert-manager sends for `action` (Present or CleanUp)."""
    return {
        "apiVersion": WEBHOOK_API_VERSION,
        "kind": "ChallengePayload",
        "request": {
            "uid": request.challenge_uid or str(uuid.uuid4()),
            "action": action,
            "type": "dns-01",
            "dnsName": request.dns_name,
            "key": request.value,
            "resourceNamespace": request.resource_namespace,
            "resolvedFQDN": request.fqdn,
            "resolvedZone": request.zone or "",
            "allowAmbientCredentials": request.allow_ambient_credentials,
            "config": config.config,
        },
    }


def solver_url(base_url: str, config: ACMEIssuerDNS01ProviderWebhook) -> str:
    return f"{base_url.rstrip('/')}/apis/{config.group_name}/v1alpha1/{config.solver_name}"


def failure_of(body: object) -> str | None:
    """Why a ChallengePayload answer says the solver failed, or None when it reports success."""
    response = body.get("response") if isinstance(body, dict) else None
    if not isinstance(response, dict):
        return "its answer has no `response` object"
    if response.get("success") is True:
        return None
    status = response.get("status")
    message = status.get("message") if isinstance(status, dict) else None
    return str(message)[:MAX_MESSAGE_CHARS] if message else "it answered success=false without a message"


def without_credentials(url: str) -> str:
    return str(URL(url).with_user(None))


class WebhookProvider:
    """The `webhook` DNS-01 provider: one HTTP POST per present / cleanup."""

    def __init__(
        self, base_urls: Mapping[str, str], timeout: float = 30.0, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self._base_urls = dict(base_urls)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True

    async def present(self, request: Dns01Request) -> None:
        await self._call(request, PRESENT)

    async def cleanup(self, request: Dns01Request) -> None:
        await self._call(request, CLEANUP)

    async def _call(self, request: Dns01Request, action: str) -> None:
        config = request.config
        if not isinstance(config, ACMEIssuerDNS01ProviderWebhook):
            raise InvalidProviderConfig("the webhook provider was handed a non-webhook configuration block")
        base = self._base_urls.get(config.group_name)
        if base is None:
            raise InvalidProviderConfig(
                f"no URL configured for DNS-01 webhook group {config.group_name!r}: "
                "add it to certpilot's dns01 webhook URLs (groupName -> base URL)"
            )
        url = solver_url(base, config)
        who = f"DNS-01 webhook {config.group_name}/{config.solver_name} at {without_credentials(url)}"
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout) as session,
                session.post(url, json=challenge_payload(request, config, action), ssl=self._ssl) as answer,
            ):
                if answer.status >= 300:
                    text = (await answer.text())[:MAX_MESSAGE_CHARS]
                    raise WebhookError(f"{who} answered HTTP {answer.status} to {action}: {text}")
                body = await answer.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, ValueError) as err:
            raise WebhookError(f"{who} failed to {action}: {type(err).__name__}: {err}") from None
        reason = failure_of(body)
        if reason is not None:
            raise WebhookError(f"{who} failed to {action}: {reason}")
