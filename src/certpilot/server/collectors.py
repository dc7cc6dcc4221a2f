"""Labelled metrics that keep one float per series and nothing else.

prometheus_client keeps a child object (with its own lock and value holder) per label set: about
700 bytes a series, and cert-manager's certificate metrics are seven series per Certificate (50 MB
at 10,000 Certificates). Here a series is one dict entry and the scrape builds the samples.
`ExactNameCounter` also keeps cert-manager's counter names: prometheus_client always exposes a
counter as `<name>_total`, while cert-manager's have no suffix
(`certmanager_controller_sync_call_count`), so they are exposed as type `untyped`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import ClassVar

from prometheus_client import CollectorRegistry
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from certpilot.server.series_family import SeriesFamily


class LabelledSeries(Collector):
    """The shared part: label checking, one value per label tuple, exposition in insertion order."""

    TYPE: ClassVar[str]

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], registry: CollectorRegistry
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()
        registry.register(self)

    def _checked(self, labelvalues: tuple[str, ...]) -> tuple[str, ...]:
        if len(labelvalues) != len(self.labelnames):
            raise ValueError(f"{self.name} takes labels {self.labelnames}, got {labelvalues}")
        return labelvalues

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            series = list(self._values.items())
        yield SeriesFamily(self.name, self.documentation, self.TYPE, self.labelnames, series)

    def describe(self) -> Iterable[Metric]:
        yield Metric(self.name, self.documentation, self.TYPE)


class CompactGauge(LabelledSeries):
    """The part of prometheus_client's Gauge the project uses: labels(...).set(v), remove(...)."""

    TYPE = "gauge"

    def labels(self, *labelvalues: str) -> GaugeSeries:
        return GaugeSeries(self, self._checked(labelvalues))

    def set(self, labelvalues: tuple[str, ...], value: float) -> None:
        with self._lock:
            self._values[labelvalues] = float(value)

    def remove(self, *labelvalues: str) -> None:
        """Drop a series; KeyError when it does not exist, as prometheus_client does."""
        with self._lock:
            del self._values[labelvalues]

    def value(self, *labelvalues: str) -> float | None:
        with self._lock:
            return self._values.get(labelvalues)


class ExactNameCounter(LabelledSeries):
    """A labelled monotonic counter exposed under exactly `name` (no `_total` suffix added)."""

    TYPE = "untyped"

    def inc(self, *labelvalues: str, amount: float = 1.0) -> None:
        key = self._checked(labelvalues)
        if amount < 0:
            raise ValueError(f"{self.name} is a counter: it cannot decrease (amount {amount})")
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, *labelvalues: str) -> float:
        with self._lock:
            return self._values.get(labelvalues, 0.0)


class GaugeSeries:
    """One series of a CompactGauge, made on demand (nothing is kept per series but its value)."""

    __slots__ = ("_gauge", "_labelvalues")

    def __init__(self, gauge: CompactGauge, labelvalues: tuple[str, ...]) -> None:
        self._gauge = gauge
        self._labelvalues = labelvalues

    def set(self, value: float) -> None:
        self._gauge.set(self._labelvalues, value)
