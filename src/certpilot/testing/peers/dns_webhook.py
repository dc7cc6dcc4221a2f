"""A stand-in for a cert-manager DNS webhook built on cert-manager's pkg/acme/webhook, not a real one.

It answers what such a webhook's API server answers: `POST /apis/<group>/v1alpha1/<solver>` with a
ChallengePayload (201, the payload back with its `response`; a solver failure is `success: false` and
a `status.message`; a payload it cannot run is a Kubernetes Status error), and its group version's
discovery document, which kube-apiserver's aggregator reads before it marks the APIService Available.
Its one solver writes TXT records to an authoritative nameserver (the suite's BIND) by RFC2136 with
TSIG, as cert-manager's rfc2136 solver does: Present adds the value beside any others, CleanUp
removes only its own. The solver's `config` may name the `zone` to update (else the request's
resolvedZone) and the `ttl`.

With `front_proxy_ca`, it authenticates callers as an aggregated API server does: a TLS client
certificate from the front-proxy CA, and the user the API server names in X-Remote-User.
"""

from __future__ import annotations

import json
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.asyncquery
import dns.exception
import dns.name
import dns.rcode
import dns.tsigkeyring
import dns.update
from aiohttp import web

from certpilot.acme.solvers.dns01.webhook import CLEANUP, PRESENT, SOLVER_VERSION, WEBHOOK_API_VERSION
from certpilot.server.serving_certificates import KeyPair
from certpilot.testing.peers.bind import BindServer

DEFAULT_TTL = 60
UPDATE_TIMEOUT = 5.0


@dataclass(frozen=True)
class ReceivedCall:
    """One ChallengePayload as it arrived, and who sent it (X-Remote-User, when authenticated)."""

    user: str | None
    body: dict[str, Any]


class SolverFailed(Exception):
    """What the solver reports as `status.message` when it could not do its job."""


def status_error(code: int, reason: str, message: str) -> web.Response:
    """A Kubernetes Status error, as k8s.io/apiserver answers a request it cannot serve."""
    status = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    return web.json_response(status, status=code)


def internal_error(message: str) -> web.Response:
    """What k8s.io/apiserver answers when a resource's Create returns an error."""
    return status_error(500, "InternalError", f"Internal error occurred: {message}")


class DnsWebhookServer:
    """`async with DnsWebhookServer(group, bind) as hook:` serves `hook.url` until the block ends."""

    def __init__(
        self,
        group_name: str,
        bind: BindServer,
        *,
        solver_name: str = "rfc2136-standin",
        host: str = "127.0.0.1",
        serving: KeyPair | None = None,
        front_proxy_ca: Path | None = None,
        allowed_proxy_names: tuple[str, ...] = ("front-proxy-client",),
    ) -> None:
        if front_proxy_ca is not None and serving is None:
            raise ValueError("authenticating the front proxy needs TLS: pass `serving`")
        self.group_name = group_name
        self.solver_name = solver_name
        self.calls: list[ReceivedCall] = []
        self._bind = bind
        self._host = host
        self._serving = serving
        self._front_proxy_ca = front_proxy_ca
        self._allowed_proxy_names = allowed_proxy_names
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        scheme = "https" if self._serving is not None else "http"
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{scheme}://{host}:{self.port}"

    async def __aenter__(self) -> DnsWebhookServer:
        app = web.Application()
        app.router.add_post(f"/apis/{self.group_name}/{SOLVER_VERSION}/{{solver}}", self._challenge)
        app.router.add_get(f"/apis/{self.group_name}/{SOLVER_VERSION}", self._discovery)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, 0, ssl_context=self._tls())
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _tls(self) -> ssl.SSLContext | None:
        if self._serving is None:
            return None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # ssl reads the pair from files only: they live as long as this call.
        with tempfile.TemporaryDirectory(prefix="dns-webhook-") as folder:
            cert, key = Path(folder) / "tls.crt", Path(folder) / "tls.key"
            cert.write_bytes(self._serving.certificate_pem)
            key.touch(mode=0o600)
            key.write_bytes(self._serving.key_pem)
            context.load_cert_chain(cert, key)
        if self._front_proxy_ca is not None:
            context.load_verify_locations(cafile=str(self._front_proxy_ca))
            context.verify_mode = ssl.CERT_REQUIRED
        return context

    def _caller(self, request: web.Request) -> tuple[str | None, web.Response | None]:
        """Who the front proxy says called, or the Status refusing the request."""
        if self._front_proxy_ca is None:
            return None, None
        peer = request.transport.get_extra_info("peercert") if request.transport else None
        subject = dict(pair[0] for pair in (peer or {}).get("subject", ()))
        if subject.get("commonName") not in self._allowed_proxy_names:
            return None, status_error(401, "Unauthorized", "Unauthorized")
        user = request.headers.get("X-Remote-User")
        if not user:
            return None, status_error(401, "Unauthorized", "Unauthorized")
        return user, None

    async def _discovery(self, request: web.Request) -> web.Response:
        _, refusal = self._caller(request)
        if refusal is not None:
            return refusal
        resource = {
            "name": self.solver_name,
            "singularName": "ChallengePayload",
            "namespaced": False,
            "kind": "ChallengePayload",
            "verbs": ["create"],
        }
        group_version = f"{self.group_name}/{SOLVER_VERSION}"
        resources = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version}
        return web.json_response({**resources, "resources": [resource]})

    async def _challenge(self, request: web.Request) -> web.Response:
        user, refusal = self._caller(request)
        if refusal is not None:
            return refusal
        if request.match_info["solver"] != self.solver_name:
            return status_error(404, "NotFound", "the server could not find the requested resource")
        try:
            body = json.loads(await request.read())
        except ValueError as error:
            return status_error(400, "BadRequest", f"the body is not JSON: {error}")
        if not isinstance(body, dict):
            return status_error(400, "BadRequest", "the body is not a JSON object")
        self.calls.append(ReceivedCall(user, body))
        api_version = body.get("apiVersion")
        if api_version not in (None, WEBHOOK_API_VERSION):
            return status_error(
                400,
                "BadRequest",
                f"the API version in the data ({api_version}) does not match the expected API version "
                f"({WEBHOOK_API_VERSION})",
            )
        challenge = body.get("request")
        if not isinstance(challenge, dict):
            return internal_error("payload request field cannot be empty")
        action = challenge.get("action")
        if action not in (PRESENT, CLEANUP):
            return internal_error(f'unknown action type "{action}"')
        response: dict[str, Any] = {"uid": challenge.get("uid", ""), "success": True}
        try:
            await self._solve(challenge, present=action == PRESENT)
        except SolverFailed as failure:
            response = {
                "uid": challenge.get("uid", ""),
                "success": False,
                "status": {"metadata": {}, "status": "Failed", "message": str(failure)},
            }
        answer = {"kind": "ChallengePayload", "apiVersion": WEBHOOK_API_VERSION, "request": challenge}
        return web.json_response({**answer, "response": response}, status=201)

    async def _solve(self, challenge: dict[str, Any], *, present: bool) -> None:
        config = challenge.get("config") or {}
        zone = config.get("zone") or challenge.get("resolvedZone")
        fqdn, value = challenge.get("resolvedFQDN"), challenge.get("key")
        if not zone or not fqdn or not value:
            raise SolverFailed("the request needs resolvedFQDN, key and a zone (resolvedZone or config.zone)")
        keyring = dns.tsigkeyring.from_text({self._bind.tsig_key_name: self._bind.tsig_secret})
        update = dns.update.UpdateMessage(
            dns.name.from_text(zone), keyring=keyring, keyalgorithm=self._bind.tsig_algorithm
        )
        if present:
            update.add(dns.name.from_text(fqdn), int(config.get("ttl", DEFAULT_TTL)), "TXT", f'"{value}"')
        else:
            update.delete(dns.name.from_text(fqdn), "TXT", f'"{value}"')
        try:
            answer = await dns.asyncquery.tcp(
                update, self._bind.host, port=self._bind.port, timeout=UPDATE_TIMEOUT
            )
        except (TimeoutError, dns.exception.DNSException, OSError) as error:
            raise SolverFailed(f"RFC2136 update of {zone} failed: {type(error).__name__}: {error}") from None
        if answer.rcode() != dns.rcode.NOERROR:
            raise SolverFailed(f"RFC2136 update of {zone} was answered {dns.rcode.to_text(answer.rcode())}")
