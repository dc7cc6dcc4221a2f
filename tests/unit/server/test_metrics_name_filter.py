"""/metrics?name[]=...: only the named series, as prometheus_client's own handler answers."""

from __future__ import annotations

import aiohttp

from certpilot.server import metrics
from certpilot.server.http import MetricsServer


async def test_name_filter_limits_the_page_to_the_named_series() -> None:
    server = MetricsServer("127.0.0.1:0")
    metrics.CONTROLLER_SYNC_CALL_COUNT.inc("filter-test")
    metrics.CERTIFICATE_EXPIRATION_TIMESTAMP.labels("c", "ns", "ca", "Issuer", "cert-manager.io").set(1.0)
    await server.start()
    url = f"http://127.0.0.1:{server.port}/metrics"
    only_sync_calls = {"name[]": "certmanager_controller_sync_call_count"}
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(url, params=only_sync_calls) as answer:
                filtered = await answer.text()
            async with session.get(url) as answer:
                full = await answer.text()
    finally:
        await server.stop()
    assert 'certmanager_controller_sync_call_count{controller="filter-test"} 1.0' in filtered
    assert "certmanager_certificate_expiration_timestamp_seconds" not in filtered
    assert "certmanager_certificate_expiration_timestamp_seconds" in full
