"""The /metrics page: Prometheus text format 0.0.4, as prometheus_client's `generate_latest` writes it,
with the large families (`SeriesFamily`) writing their own text.

`names` limits the page to samples of those names, as prometheus_client's own handler does for
`?name[]=...`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric

from certpilot.server.series_family import SeriesFamily


class _OneFamily:
    """What `generate_latest` needs of a registry, for a single family."""

    def __init__(self, metric: Metric) -> None:
        self._metric = metric

    def collect(self) -> Iterable[Metric]:
        yield self._metric


def metrics_page(registry: CollectorRegistry, names: Collection[str] = ()) -> bytes:
    wanted = frozenset(names)
    parts: list[bytes] = []
    for family in registry.collect():
        if isinstance(family, SeriesFamily):
            if not wanted or family.name in wanted:
                parts.append(family.text().encode())
            continue
        kept = _only_named(family, wanted) if wanted else family
        if kept is not None:
            parts.append(generate_latest(_OneFamily(kept)))
    return b"".join(parts)


def _only_named(family: Metric, wanted: frozenset[str]) -> Metric | None:
    samples = [sample for sample in family.samples if sample.name in wanted]
    if not samples:
        return None
    kept = Metric(family.name, family.documentation, family.type, family.unit)
    kept.samples = samples
    return kept
