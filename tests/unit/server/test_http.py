"""The HTTP endpoints, scraped over real HTTP on loopback."""

from __future__ import annotations

import aiohttp
import pytest

from certpilot.server import metrics
from certpilot.server.http import InvalidListenAddress, MetricsServer, parse_listen


async def fetch(server: MetricsServer, path: str) -> tuple[int, str, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{server.port}{path}") as response,
    ):
        return response.status, response.headers["Content-Type"], await response.text()


async def test_metrics_healthz_and_readyz_over_http() -> None:
    ready = False
    server = MetricsServer("127.0.0.1:0", ready=lambda: ready)
    metrics.CONTROLLER_SYNC_CALL_COUNT.inc("http-test")
    await server.start()
    try:
        status, content_type, body = await fetch(server, "/metrics")
        assert status == 200
        assert content_type.startswith("text/plain")
        assert 'certmanager_controller_sync_call_count{controller="http-test"} 1.0' in body
        assert "# TYPE certmanager_certificate_expiration_timestamp_seconds gauge" in body

        assert (await fetch(server, "/healthz"))[0] == 200
        assert (await fetch(server, "/readyz"))[0] == 503
        ready = True
        assert (await fetch(server, "/readyz"))[0] == 200
    finally:
        await server.stop()


async def test_stop_closes_the_port() -> None:
    server = MetricsServer("127.0.0.1:0")
    await server.start()
    port = server.port
    await server.stop()
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz"):
            pass


@pytest.mark.parametrize(
    ("listen", "expected"),
    [("127.0.0.1:9402", ("127.0.0.1", 9402)), ("[::1]:80", ("::1", 80)), (":9402", ("0.0.0.0", 9402))],
)
def test_parse_listen(listen: str, expected: tuple[str, int]) -> None:
    assert parse_listen(listen) == expected


@pytest.mark.parametrize("listen", ["9402", "localhost", "host:http", "h:70000"])
def test_parse_listen_refuses_bad_addresses_with_an_example(listen: str) -> None:
    with pytest.raises(InvalidListenAddress, match=r"e\.g\. 127\.0\.0\.1:9402"):
        parse_listen(listen)
