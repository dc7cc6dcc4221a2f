"""The /metrics page: Prometheus text format 0.0.4, as prometheus_client's `generate_latest` writes it,
with the large families (`SeriesFamily`) writing their own text.

`names` limits the page to samples of those names, as prometheus_client's own handler does for
`?name[]=...`: through its restricted registry, which collects only the collectors that describe
one of those names (a scrape of one counter once copied all 70,000 certificate series of 10,000
Certificates, 20 times a second in the scale benchmark's polling).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import RestrictedRegistry

from certpilot.server.series_family import SeriesFamily


class _OneFamily:
    """What `generate_latest` needs of a registry, for a single family."""

    def __init__(self, metric: Metric) -> None:
        self._metric = metric

    def collect(self) -> Iterable[Metric]:
        yield self._metric


def metrics_page(registry: CollectorRegistry, names: Collection[str] = ()) -> bytes:
    source: CollectorRegistry | RestrictedRegistry = (
        registry.restricted_registry(names) if names else registry
    )
    parts: list[bytes] = []
    for family in source.collect():
        if isinstance(family, SeriesFamily):
            parts.append(family.text().encode())
        else:
            parts.append(generate_latest(_OneFamily(family)))
    return b"".join(parts)
