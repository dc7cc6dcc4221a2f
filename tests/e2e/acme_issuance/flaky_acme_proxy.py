"""An HTTPS reverse proxy in front of a real pebble that plays a flaky network: it can abort every
request (the ACME server unreachable), or forward a challenge answer to pebble and then drop the
reply (the answer arrived; its response was lost). A stand-in for the network only: every request
that gets through is answered by pebble itself.

pebble builds the URLs it returns from the Host header, so the directory, orders and challenges
all point back at the proxy."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import aiohttp
from aiohttp import web

from certpilot.testing.peers.pebble import PebbleServer, ServerTls, generate_server_tls

# Hop-by-hop or re-computed headers that are not copied across.
_SKIPPED = frozenset({"host", "content-length", "transfer-encoding", "connection", "content-encoding"})


def is_challenge_answer(method: str, path: str, body: bytes) -> bool:
    """A POST to a challenge URL with a payload ("{}"); a POST-as-GET has an empty payload."""
    if method != "POST" or not path.startswith("/chalZ/"):
        return False
    return bool(json.loads(body).get("payload"))


class FlakyAcmeProxy:
    def __init__(self, pebble: PebbleServer, workdir: Path) -> None:
        self.pebble = pebble
        self.tls: ServerTls = generate_server_tls(workdir)
        self.abort_everything = False
        self.answers_to_drop_replies_of = 0
        self.aborted = 0
        self.dropped_replies: list[str] = []
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    @property
    def directory_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/dir"

    async def start(self) -> FlakyAcmeProxy:
        upstream_tls = ssl.create_default_context(cafile=str(self.pebble.ca_bundle_path))
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=upstream_tls))
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.tls.cert_path, self.tls.key_path)
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        if self.abort_everything:
            self.aborted += 1
            return self._abort(request)
        assert self._session is not None
        body = await request.read()
        upstream = self.pebble.directory_url.removesuffix("/dir")
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _SKIPPED}
        headers["Host"] = f"127.0.0.1:{self.port}"
        async with self._session.request(
            request.method, upstream + request.path_qs, data=body, headers=headers
        ) as answer:
            payload = await answer.read()
            reply_headers = {k: v for k, v in answer.headers.items() if k.lower() not in _SKIPPED}
            status = answer.status
        if self.answers_to_drop_replies_of > 0 and is_challenge_answer(request.method, request.path, body):
            self.answers_to_drop_replies_of -= 1
            self.dropped_replies.append(request.path)
            return self._abort(request)
        return web.Response(status=status, body=payload, headers=reply_headers)

    @staticmethod
    def _abort(request: web.Request) -> web.StreamResponse:
        """Cut the connection without an HTTP answer (the client sees a connection error)."""
        assert request.transport is not None
        request.transport.abort()
        return web.Response(status=500)
