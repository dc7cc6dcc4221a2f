"""cert-manager's clock metrics: the time of each scrape, so alerts can compare certificate
timestamps with the controller's own clock (`expiration - clock_time < 7d`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

GAUGE_NAME = "certmanager_clock_time_seconds_gauge"
# cert-manager still exposes the old counter of the same value, deprecated; dashboards use both.
DEPRECATED_NAME = "certmanager_clock_time_seconds"
_HELP = "The clock time given in seconds (from 1970/01/01 UTC)."


class ClockTimeCollector(Collector):
    def __init__(self, registry: CollectorRegistry, now: Callable[[], float] = time.time) -> None:
        self._now = now
        registry.register(self)

    def collect(self) -> Iterable[Metric]:
        now = self._now()
        gauge = Metric(GAUGE_NAME, _HELP, "gauge")
        gauge.add_sample(GAUGE_NAME, {}, now)
        yield gauge
        # Untyped, as the project's other cert-manager counters: prometheus_client would add _total.
        deprecated = Metric(DEPRECATED_NAME, f"DEPRECATED: use {GAUGE_NAME} instead. {_HELP}", "untyped")
        deprecated.add_sample(DEPRECATED_NAME, {}, now)
        yield deprecated

    def describe(self) -> Iterable[Metric]:
        yield Metric(GAUGE_NAME, _HELP, "gauge")
        yield Metric(DEPRECATED_NAME, _HELP, "untyped")
