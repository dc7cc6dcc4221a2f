"""The daemon's HTTP endpoints: /metrics (Prometheus), /healthz (alive), /readyz (ready for work).

They are served from a thread of their own, not from the event loop: while thousands of
Certificates issue, the loop runs long batches of ready callbacks between two looks at its sockets,
and a probe waiting behind them timed out (p99 533 ms for /metrics, 111 ms for /healthz at 1,000
Certificates issuing). From the thread a request waits for the GIL only, handed over every few
milliseconds. What the endpoints read is thread-safe: metric values sit behind locks, the
Challenge collector reads a cache snapshot, and /healthz reads the loop's heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry

from certpilot.server.exposition import metrics_page
from certpilot.server.metrics import REGISTRY

DEFAULT_LISTEN = "127.0.0.1:9402"
# /healthz fails once the event loop has not run its heartbeat for this long: the daemon is wedged
# (a liveness probe should restart it), not merely busy.
LOOP_STALL_LIMIT_S = 30.0
HEARTBEAT_INTERVAL_S = 1.0

log = logging.getLogger(__name__)


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


Answer = tuple[int, str, bytes]


class MetricsServer:
    def __init__(
        self,
        listen: str = DEFAULT_LISTEN,
        *,
        ready: Callable[[], bool] = lambda: True,
        registry: CollectorRegistry = REGISTRY,
        loop_stall_limit: float = LOOP_STALL_LIMIT_S,
        heartbeat_interval: float = HEARTBEAT_INTERVAL_S,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._host, self._port = parse_listen(listen)
        self._ready = ready
        self._registry = registry
        self._loop_stall_limit = loop_stall_limit
        self._heartbeat_interval = heartbeat_interval
        self._now = now
        self._last_beat = now()
        self._heartbeat: asyncio.Task[None] | None = None
        self._http: _EndpointServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (the one chosen by the OS when listening on port 0)."""
        if self._http is None:
            raise RuntimeError("MetricsServer.port is known only after start()")
        return int(self._http.server_address[1])

    async def start(self) -> None:
        self._last_beat = self._now()
        self._heartbeat = asyncio.create_task(self._beat(), name="metrics-server-heartbeat")
        server_class = _EndpointServerV6 if ":" in self._host else _EndpointServer
        self._http = server_class((self._host, self._port), _Handler, self)
        self._thread = threading.Thread(target=self._http.serve_forever, name="metrics-server", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
        if self._http is not None:
            await asyncio.to_thread(self._http.shutdown)
            self._http.server_close()
        if self._thread is not None:
            self._thread.join()
        self._heartbeat = self._http = self._thread = None

    async def _beat(self) -> None:
        while True:
            self._last_beat = self._now()
            await asyncio.sleep(self._heartbeat_interval)

    def answer(self, target: str) -> Answer:
        """(status, content type, body) for a GET of `target`; runs on the server's thread."""
        url = urlsplit(target)
        if url.path == "/metrics":
            # `?name[]=a&name[]=b` limits the answer to those series, as prometheus_client's own
            # handler does: with thousands of certificates the full page is large to build.
            names = parse_qs(url.query).get("name[]", [])
            return 200, CONTENT_TYPE_LATEST, metrics_page(self._registry, names)
        if url.path == "/healthz":
            stalled = self._now() - self._last_beat
            if stalled > self._loop_stall_limit:
                return 500, _TEXT, f"the event loop has not run for {stalled:.0f} s".encode()
            return 200, _TEXT, b"ok"
        if url.path == "/readyz":
            return (200, _TEXT, b"ok") if self._ready() else (503, _TEXT, b"not ready")
        return 404, _TEXT, b"not found"


_TEXT = "text/plain; charset=utf-8"


class _EndpointServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], endpoints: MetricsServer
    ) -> None:
        self.endpoints = endpoints
        super().__init__(address, handler)


class _EndpointServerV6(_EndpointServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _EndpointServer

    def do_GET(self) -> None:
        try:
            status, content_type, body = self.server.endpoints.answer(self.path)
        except Exception as error:  # a failing collector must not take the endpoint down
            log.warning("answering GET %s failed: %s", self.path.split("?")[0], error)
            status, content_type, body = 500, _TEXT, b"internal error: see the daemon's log"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """No access log: a scrape every few seconds would drown the daemon's own lines."""
