"""The clock metrics, as cert-manager exposes them: the scrape's time, under both names."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from certpilot.server.clock_time import ClockTimeCollector


def test_each_scrape_reports_its_own_time_under_both_names() -> None:
    registry = CollectorRegistry()
    moments = iter([1_700_000_000.0, 1_700_000_060.0])
    ClockTimeCollector(registry, now=lambda: next(moments))

    first = generate_latest(registry).decode()
    second = generate_latest(registry).decode()

    assert "certmanager_clock_time_seconds_gauge 1.7e+09" in first
    assert "certmanager_clock_time_seconds 1.7e+09" in first
    assert "# TYPE certmanager_clock_time_seconds_gauge gauge" in first
    assert "certmanager_clock_time_seconds_gauge 1.70000006e+09" in second
