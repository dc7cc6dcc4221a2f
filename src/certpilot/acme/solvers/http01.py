"""HTTP-01 (RFC 8555 8.3): a small listener answering GET /.well-known/acme-challenge/<token> with
the key authorization of each presented token, and the self-check fetch the challenge controller
runs before asking the CA to validate."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from types import TracebackType
from typing import Self

import aiohttp
from aiohttp import web

CHALLENGE_PATH_PREFIX = "/.well-known/acme-challenge/"
DEFAULT_LISTEN = (":80",)
SELF_CHECK_TIMEOUT_SECONDS = 10.0


class InvalidListenAddress(ValueError):
    """A listen address is not "host:port", "[v6]:port" or ":port"."""


def parse_listen_address(address: str) -> tuple[str | None, int]:
    """(host, port) from "127.0.0.1:80", "[::1]:80" or ":80"; host None means every interface."""
    host, separator, port_text = address.rpartition(":")
    if not separator or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise InvalidListenAddress(f"invalid listen address {address!r}: use host:port, [v6]:port or :port")
    host = host.removeprefix("[").removesuffix("]")
    return (host or None), int(port_text)


def http01_challenge_url(identifier: str, token: str, port: int = 80) -> str:
    """The URL the CA fetches for `identifier` (a DNS name or an IP address, RFC 8738)."""
    try:
        host = f"[{identifier}]" if ipaddress.ip_address(identifier).version == 6 else identifier
    except ValueError:
        host = identifier
    authority = host if port == 80 else f"{host}:{port}"
    return f"http://{authority}{CHALLENGE_PATH_PREFIX}{token}"


async def http01_self_check(
    url: str, expected: str, *, request_timeout: float = SELF_CHECK_TIMEOUT_SECONDS
) -> bool:
    """Whether `url` serves exactly the key authorization `expected` (redirects followed, trailing
    whitespace ignored), as the CA will check it."""
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=request_timeout)) as session,
            session.get(url, allow_redirects=True) as response,
        ):
            if response.status != 200:
                return False
            body = await response.text()
    except (aiohttp.ClientError, TimeoutError, UnicodeDecodeError):
        return False
    return body.strip() == expected


class Http01Solver:
    """Serves presented tokens on every listen address ("127.0.0.1:5002", "[::1]:5002", ":80" for
    all interfaces, IPv4 and IPv6). Anything else is 404. Answers repeatedly and concurrently (CAs
    validate from several vantage points at once) until the token is cleaned up."""

    def __init__(self, listen: Sequence[str] = DEFAULT_LISTEN) -> None:
        self._addresses = [parse_listen_address(address) for address in listen]
        self._key_authorizations: dict[str, str] = {}
        self._runner: web.AppRunner | None = None

    def present(self, token: str, key_authorization: str) -> None:
        self._key_authorizations[token] = key_authorization

    def cleanup(self, token: str) -> None:
        self._key_authorizations.pop(token, None)

    def is_presented(self, token: str) -> bool:
        return token in self._key_authorizations

    async def _answer(self, request: web.Request) -> web.Response:
        key_authorization = self._key_authorizations.get(request.match_info["token"])
        if key_authorization is None:
            raise web.HTTPNotFound()
        return web.Response(text=key_authorization, content_type="text/plain")

    async def start(self) -> Self:
        app = web.Application()
        app.router.add_get(CHALLENGE_PATH_PREFIX + "{token}", self._answer)
        # No access log: the daemon's own structured logging decides what is recorded.
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            for host, port in self._addresses:
                await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        return self

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
