"""The HTTP endpoints, scraped over real HTTP on loopback."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

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


def get_from_another_thread(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


async def test_the_endpoints_answer_while_the_event_loop_is_busy() -> None:
    """A request is served from the server's own thread: the loop never runs while it is answered."""
    server = MetricsServer("127.0.0.1:0")
    await server.start()
    answers: list[int] = []
    answered = threading.Event()

    def probe() -> None:
        answers.extend(get_from_another_thread(server.port, path) for path in ("/healthz", "/metrics"))
        answered.set()

    try:
        threading.Thread(target=probe).start()
        # Block the loop itself until the probe has its answers (or give up after 10 s).
        assert answered.wait(10)
        assert answers == [200, 200]
    finally:
        await server.stop()


async def test_healthz_fails_once_the_event_loop_stops_beating() -> None:
    """A fake clock (the heartbeat would need the real loop stalled for the whole limit)."""
    now = [1000.0]
    server = MetricsServer("127.0.0.1:0", loop_stall_limit=30, heartbeat_interval=3600, now=lambda: now[0])
    await server.start()
    try:
        assert (await fetch(server, "/healthz"))[0] == 200
        now[0] += 31
        status, _, body = await fetch(server, "/healthz")
        assert (status, body) == (500, "the event loop has not run for 31 s")
        assert (await fetch(server, "/nowhere"))[0] == 404
    finally:
        await server.stop()


async def test_a_failing_collector_gets_a_500_and_the_server_keeps_answering() -> None:
    class Broken:
        def collect(self) -> list[object]:
            raise RuntimeError("collector broke")

    registry = CollectorRegistry()
    registry.register(Broken())  # type: ignore[arg-type]
    server = MetricsServer("127.0.0.1:0", registry=registry)
    await server.start()
    try:
        status, _, body = await fetch(server, "/metrics")
        assert status == 500 and "Traceback" not in body
        assert (await fetch(server, "/healthz"))[0] == 200
    finally:
        await server.stop()
