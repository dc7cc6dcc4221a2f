"""The /metrics page is byte for byte what prometheus_client's generate_latest writes, full and
filtered by name, with the large families writing their own text."""

from __future__ import annotations

import math
from collections.abc import Iterable

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Gauge, Summary, generate_latest
from prometheus_client.core import Metric

from certpilot.server.collectors import CompactGauge, ExactNameCounter
from certpilot.server.exposition import metrics_page
from certpilot.server.series_family import SeriesFamily

# Label names deliberately out of order: the text format sorts them.
LABELS = ("namespace", "name", "condition")
label_values = st.one_of(
    st.text(alphabet=st.sampled_from('ab\\"\n-é.'), max_size=6),
    # Families with no value to escape take a shorter path.
    st.text(alphabet=st.sampled_from("ab-é."), max_size=6),
)
values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**40), 2**40).map(float),
    st.sampled_from([0.0, -0.0, 1.0]),
)


@given(st.dictionaries(st.tuples(label_values, label_values, label_values), values, max_size=8))
def test_a_series_family_writes_what_generate_latest_writes(series: dict[tuple[str, ...], float]) -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    gauge = CompactGauge("x_seconds", "Help with a \\ and a\nline.", LABELS, ours)
    reference = Gauge("x_seconds", "Help with a \\ and a\nline.", LABELS, registry=theirs)
    for labelvalues, value in series.items():
        gauge.labels(*labelvalues).set(value)
        reference.labels(*labelvalues).set(value)
    assert metrics_page(ours) == generate_latest(ours) == generate_latest(theirs)


def test_samples_are_there_for_everything_else_that_reads_a_family() -> None:
    registry = CollectorRegistry()
    counter = ExactNameCounter("sync_call_count", "Calls.", ("controller",), registry)
    counter.inc("issuing", amount=3)
    assert registry.get_sample_value("sync_call_count", {"controller": "issuing"}) == 3.0
    (family,) = counter.collect()
    assert isinstance(family, SeriesFamily)
    assert family.type == "unknown"
    assert "# TYPE sync_call_count untyped\n" in family.text()


def test_a_family_without_labels() -> None:
    family = SeriesFamily("up", "Up.", "gauge", (), [((), 1.0), ((), math.inf)])
    assert family.text() == "# HELP up Up.\n# TYPE up gauge\nup 1.0\nup +Inf\n"


def test_the_page_mixes_both_kinds_of_family_and_filters_by_sample_name() -> None:
    registry = CollectorRegistry()
    CompactGauge("a_seconds", "A.", ("name",), registry).labels("x").set(2)
    Gauge("b_ready", "B.", ("name",), registry=registry).labels("y").set(1)
    Summary("c_duration_seconds", "C.", ("host",), registry=registry).labels("h").observe(0.5)
    assert metrics_page(registry) == generate_latest(registry)
    for names in (["a_seconds"], ["b_ready"], ["c_duration_seconds_count", "a_seconds"], ["nothing"]):
        # A restricted registry visits the named families in set order: compare family by family.
        theirs = generate_latest(registry.restricted_registry(names))
        assert families(metrics_page(registry, names)) == families(theirs)


class CountedGauge(CompactGauge):
    """A gauge that counts how often a scrape collects it."""

    collects = 0

    def collect(self) -> Iterable[Metric]:
        self.collects += 1
        yield from super().collect()


def test_a_page_filtered_by_name_collects_only_the_families_named() -> None:
    registry = CollectorRegistry()
    wanted = CountedGauge("a_seconds", "A.", ("name",), registry)
    wanted.labels("x").set(2)
    other = CountedGauge("big_series", "Many series.", ("name",), registry)
    other.labels("y").set(1)
    assert b'a_seconds{name="x"} 2.0' in metrics_page(registry, ["a_seconds"])
    assert (wanted.collects, other.collects) == (1, 0)


def families(page: bytes) -> list[bytes]:
    return sorted(b"# HELP" + block for block in page.split(b"# HELP") if block)
