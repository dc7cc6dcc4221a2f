"""The daemon's HTTP endpoints: /metrics (Prometheus), /healthz (alive), /readyz (ready for work)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from certpilot.server.metrics import REGISTRY

DEFAULT_LISTEN = "127.0.0.1:9402"


class InvalidListenAddress(ValueError):
    """The listen address is not `host:port`."""


def parse_listen(listen: str) -> tuple[str, int]:
    """`host:port` or `[v6]:port` -> (host, port). Port 0 picks a free port."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise InvalidListenAddress(
            f"listen address {listen!r} must be host:port, e.g. 127.0.0.1:9402 or [::1]:9402"
        )
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104 - an empty host means all interfaces


class MetricsServer:
    def __init__(
        self,
        listen: str = DEFAULT_LISTEN,
        *,
        ready: Callable[[], bool] = lambda: True,
        registry: CollectorRegistry = REGISTRY,
    ) -> None:
        self._host, self._port = parse_listen(listen)
        self._ready = ready
        self._registry = registry
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    @property
    def port(self) -> int:
        """The bound port (the one chosen by the OS when listening on port 0)."""
        if self._site is None or self._runner is None:
            raise RuntimeError("MetricsServer.port is known only after start()")
        for address in self._runner.addresses:
            return int(address[1])
        raise RuntimeError("MetricsServer is not bound to any address")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self._host, self._port)
        await self._site.start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None
        self._site = None

    async def _metrics(self, request: web.Request) -> web.Response:
        # `?name[]=a&name[]=b` limits the answer to those series, as prometheus_client's own
        # handler does: with thousands of certificates the full page is large to build.
        names = request.query.getall("name[]", [])
        body = generate_latest(self._registry.restricted_registry(names) if names else self._registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _healthz(self, _: web.Request) -> web.Response:
        # Answering at all proves the event loop is responsive; the yield proves it still schedules.
        await asyncio.sleep(0)
        return web.Response(text="ok")

    async def _readyz(self, _: web.Request) -> web.Response:
        if self._ready():
            return web.Response(text="ok")
        return web.Response(status=503, text="not ready")
