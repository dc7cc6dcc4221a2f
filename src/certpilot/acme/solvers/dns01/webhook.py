"""cert-manager's webhook DNS-01 solver contract, so existing out-of-tree solvers work with certpilot.

A ChallengePayload is POSTed to `/apis/<groupName>/v1alpha1/<solverName>`; the solver answers with the
payload plus `response`, whose `success` says whether it worked and `status.message` why not. Where the
POST goes is a `SolverEndpoints`: on Kubernetes the API server, which hands it to the solver registered
as an aggregated API (webhook_apiserver.py); standalone, `certpilot run --dns01-webhook-url GROUP=URL`
names the base URL of each groupName's solver (`DirectUrls`).

The body is what cert-manager's client puts on the wire (pkg/issuer/acme/dns/webhook): its REST client's
scheme does not register ChallengePayload, so the body carries no apiVersion or kind (the solver's API
server defaults both from the resource), `uid` is empty (cert-manager never sets it), and `config`,
`resolvedFQDN` and `resolvedZone` are left out when empty.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from yarl import URL

from certpilot.acme.solvers.dns01.errors import InvalidProviderConfig, WebhookError
from certpilot.acme.solvers.dns01.provider import Dns01Request
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderWebhook

WEBHOOK_API_VERSION = "webhook.acme.cert-manager.io/v1alpha1"
SOLVER_VERSION = "v1alpha1"
PRESENT = "Present"
CLEANUP = "CleanUp"
MAX_MESSAGE_CHARS = 500
GROUP_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
SOLVER_NAME = re.compile(r"[a-z0-9]([-.a-z0-9]*[a-z0-9])?")


@dataclass(frozen=True)
class SolverAnswer:
    status: int
    body: bytes


class SolverEndpoints(Protocol):
    """Delivers one ChallengePayload to the solver a webhook block names, and returns its answer
    whatever the HTTP status; raises WebhookError when the solver cannot be reached at all."""

    def describe(self, config: ACMEIssuerDNS01ProviderWebhook) -> str: ...

    async def post(self, config: ACMEIssuerDNS01ProviderWebhook, body: bytes) -> SolverAnswer: ...


def solver_path(config: ACMEIssuerDNS01ProviderWebhook) -> str:
    """The solver's resource path. Both names must be plain names: the path is posted to with
    certpilot's own credentials, so an Issuer must not be able to point it at another API."""
    if not GROUP_NAME.fullmatch(config.group_name):
        raise InvalidProviderConfig(
            f"webhook.groupName {config.group_name!r} is not a DNS subdomain (e.g. acme.example.com)"
        )
    if not SOLVER_NAME.fullmatch(config.solver_name):
        raise InvalidProviderConfig(
            f"webhook.solverName {config.solver_name!r} is not a resource name (lowercase letters, "
            "digits, '-' and '.')"
        )
    return f"/apis/{config.group_name}/{SOLVER_VERSION}/{config.solver_name}"


def challenge_payload(
    request: Dns01Request, config: ACMEIssuerDNS01ProviderWebhook, action: str
) -> dict[str, Any]:
    """The ChallengePayload body cert-manager sends for `action` (Present or CleanUp)."""
    challenge: dict[str, Any] = {
        "uid": "",
        "action": action,
        "type": "dns-01",
        "dnsName": request.dns_name,
        "key": request.value,
        "resourceNamespace": request.resource_namespace,
        "resolvedFQDN": request.fqdn,
        "resolvedZone": request.zone or "",
        "allowAmbientCredentials": request.allow_ambient_credentials,
        "config": config.config,
    }
    for omitted_when_empty in ("resolvedFQDN", "resolvedZone", "config"):
        if challenge[omitted_when_empty] in ("", None):
            del challenge[omitted_when_empty]
    return {"request": challenge}


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


def error_message_of(answer: SolverAnswer) -> str:
    """The message of an error answer: a Kubernetes Status' `message` (what an API server sends,
    and what cert-manager reports), else the start of the body."""
    try:
        body = json.loads(answer.body)
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("kind") == "Status" and body.get("message"):
        return str(body["message"])[:MAX_MESSAGE_CHARS]
    return answer.body.decode(errors="replace")[:MAX_MESSAGE_CHARS]


def without_credentials(url: str) -> str:
    return str(URL(url).with_user(None))


class DirectUrls:
    """Standalone: each groupName's solver at a base URL of its own (`--dns01-webhook-url`)."""

    def __init__(
        self, base_urls: Mapping[str, str], timeout: float = 30.0, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self._base_urls = dict(base_urls)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True

    def describe(self, config: ACMEIssuerDNS01ProviderWebhook) -> str:
        base = self._base_urls.get(config.group_name)
        where = without_credentials(self._url(base, config)) if base else "(no URL configured)"
        return f"DNS-01 webhook {config.group_name}/{config.solver_name} at {where}"

    async def post(self, config: ACMEIssuerDNS01ProviderWebhook, body: bytes) -> SolverAnswer:
        base = self._base_urls.get(config.group_name)
        if base is None:
            raise InvalidProviderConfig(
                f"no URL configured for DNS-01 webhook group {config.group_name!r}: "
                "add it to certpilot's dns01 webhook URLs (groupName -> base URL)"
            )
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout) as session,
                session.post(self._url(base, config), data=body, headers=headers, ssl=self._ssl) as answer,
            ):
                return SolverAnswer(answer.status, await answer.read())
        except (TimeoutError, aiohttp.ClientError) as err:
            raise WebhookError(f"{self.describe(config)}: {type(err).__name__}: {err}") from None

    @staticmethod
    def _url(base: str, config: ACMEIssuerDNS01ProviderWebhook) -> str:
        return base.rstrip("/") + solver_path(config)


class WebhookProvider:
    """The `webhook` DNS-01 provider: one POST per present / cleanup, to wherever `endpoints` sends it."""

    def __init__(self, endpoints: SolverEndpoints) -> None:
        self._endpoints = endpoints

    async def present(self, request: Dns01Request) -> None:
        await self._call(request, PRESENT)

    async def cleanup(self, request: Dns01Request) -> None:
        await self._call(request, CLEANUP)

    async def _call(self, request: Dns01Request, action: str) -> None:
        config = request.config
        if not isinstance(config, ACMEIssuerDNS01ProviderWebhook):
            raise InvalidProviderConfig("the webhook provider was handed a non-webhook configuration block")
        body = json.dumps(challenge_payload(request, config, action), separators=(",", ":")).encode()
        answer = await self._endpoints.post(config, body)
        who = self._endpoints.describe(config)
        if answer.status >= 300:
            raise WebhookError(f"{who} answered HTTP {answer.status} to {action}: {error_message_of(answer)}")
        try:
            decoded = json.loads(answer.body)
        except ValueError:
            raise WebhookError(f"{who} failed to {action}: its answer is not JSON") from None
        reason = failure_of(decoded)
        if reason is not None:
            raise WebhookError(f"{who} failed to {action}: {reason}")
