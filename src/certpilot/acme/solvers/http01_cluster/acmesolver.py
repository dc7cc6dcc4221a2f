"""The server inside a solver Pod (`certpilot acmesolver`), as cert-manager's acmesolver: it answers
GET /.well-known/acme-challenge/<token> for its one domain and token with the key authorization, 200
on / and /healthz (probes, load balancer health checks), and 404 to anything else."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from certpilot.acme.solvers.http01_cluster.identity import CHALLENGE_PATH

log = logging.getLogger(__name__)

NO_CACHE = {"Cache-Control": "no-cache, no-store, must-revalidate"}
HEALTH_PATHS = ("/", "/healthz")


def request_host(host_header: str) -> str:
    """The host of a Host header, without its port or an IPv6 literal's brackets."""
    if host_header.startswith("["):
        return host_header[1 : host_header.find("]")] if "]" in host_header else host_header
    name, _, port = host_header.rpartition(":")
    return name if name and port.isdigit() else host_header


class AcmeSolver:
    """Answers one token for one domain on every interface of `port`."""

    def __init__(self, domain: str, token: str, key: str, port: int) -> None:
        self.domain = domain.lower()
        self.token = token
        self.key = key
        self.port = port

    def answer(self, host_header: str, path: str) -> tuple[int, str]:
        """(status, body) for a request; the key only for the right host and token."""
        if path in HEALTH_PATHS:
            return 200, ""
        directory, _, token = path.rpartition("/")
        if directory != CHALLENGE_PATH or request_host(host_header).lower() != self.domain:
            return 404, "404 page not found\n"
        if token != self.token:
            return 404, "404 page not found\n"
        return 200, self.key

    async def _handle(self, request: web.Request) -> web.Response:
        status, body = self.answer(request.host, request.raw_path.partition("?")[0])
        log.info(
            "answered %s %s for host %s with %d",
            request.method,
            request.raw_path,
            request.host,
            status,
        )
        headers = NO_CACHE if status == 200 else None
        return web.Response(status=status, text=body, content_type="text/plain", headers=headers)

    async def serve_until_signal(self) -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        try:
            await web.TCPSite(runner, None, self.port).start()
            log.info("acmesolver listening", extra={"port": self.port, "domain": self.domain})
            await stopping.wait()
        finally:
            await runner.cleanup()
