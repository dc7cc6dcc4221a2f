"""A metric family that renders its own exposition text, for families with thousands of series.

prometheus_client's `generate_latest` builds a Sample (and a labels dict) per series, then formats
each label with three string replacements: ~12 µs a series, so 70,000 series at 10,000
Certificates took most of a second of the GIL. `SeriesFamily.text()` formats straight from the
(label values, value) pairs with one template per family, byte for byte what `generate_latest`
writes (tested). `samples` is still there for everything else that reads a Metric
(`get_sample_value`, restricted registries), built on first use.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from itertools import chain
from operator import itemgetter

from prometheus_client.core import Metric
from prometheus_client.samples import Sample
from prometheus_client.utils import floatToGoString

Series = tuple[tuple[str, ...], float]

# prometheus_client stores "untyped" as OpenMetrics' "unknown" and writes it back as "untyped".
_TEXT_FORMAT_TYPES = {"unknown": "untyped"}
_SPECIAL = ("\\", "\n", '"')
# Go's float formatting, as prometheus_client writes values (its function is untyped).
_go_float: Callable[[float], str] = floatToGoString


class SeriesFamily(Metric):
    def __init__(
        self, name: str, documentation: str, typ: str, labelnames: Sequence[str], series: list[Series]
    ) -> None:
        super().__init__(name, documentation, typ)
        self._labelnames = tuple(labelnames)
        self._series = series
        # Metric.__init__ set samples to [] through the setter below; they are built on first read.
        self._built: list[Sample] | None = None

    @property
    def samples(self) -> list[Sample]:
        if self._built is None:
            self._built = [
                Sample(self.name, dict(zip(self._labelnames, labelvalues, strict=True)), value)
                for labelvalues, value in self._series
            ]
        return self._built

    @samples.setter
    def samples(self, samples: list[Sample]) -> None:
        self._built = samples

    def _restricted_metric(self, names: Collection[str]) -> SeriesFamily | None:
        """What prometheus_client's restricted registry keeps of this family: all of it or none
        (every sample bears the family's name), still writing its own text."""
        return self if self.name in names else None

    def text(self) -> str:
        """The family in Prometheus text format 0.0.4, as `generate_latest` writes it."""
        mtype = _TEXT_FORMAT_TYPES.get(self.type, self.type)
        documentation = self.documentation.replace("\\", r"\\").replace("\n", r"\n")
        lines = [f"# HELP {self.name} {documentation}\n# TYPE {self.name} {mtype}\n"]
        # generate_latest writes labels sorted by name.
        order = sorted(range(len(self._labelnames)), key=self._labelnames.__getitem__)
        if not order:
            lines.extend(f"{self.name} {_go_float(value)}\n" for _, value in self._series)
            return "".join(lines)
        labels = ",".join(self._labelnames[i] + '="{}"' for i in order)
        template = self.name + "{{" + labels + "}} {}\n"
        in_label_order = _picker(order)
        # One look at every value at once (in C) spares escaping each one when none needs it.
        every_value = "".join(chain.from_iterable(labelvalues for labelvalues, _ in self._series))
        if any(special in every_value for special in _SPECIAL):
            for labelvalues, value in self._series:
                escaped = map(_escaped, in_label_order(labelvalues))
                lines.append(template.format(*escaped, _go_float(value)))
        else:
            for labelvalues, value in self._series:
                lines.append(template.format(*in_label_order(labelvalues), _formatted(value)))
        return "".join(lines)


def _picker(order: list[int]) -> Callable[[tuple[str, ...]], Sequence[str]]:
    if order == list(range(len(order))):
        return lambda values: values
    return itemgetter(*order)


def _formatted(value: float) -> str:
    """A value as Go formats it; most series are a condition's 0 or 1 (-0.0 equals 0.0 but is
    written "-0.0")."""
    if value == 1.0:
        return "1.0"
    if value == 0.0 and math.copysign(1.0, value) > 0:
        return "0.0"
    return _go_float(value)


def _escaped(value: str) -> str:
    if "\\" in value or "\n" in value or '"' in value:
        return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return value
