"""CompactGauge scrapes exactly as prometheus_client's Gauge does for the same series."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Gauge, generate_latest

from certpilot.server.collectors import CompactGauge

LABELS = ("name", "namespace", "issuer_name")


def test_exposition_matches_prometheus_clients_gauge() -> None:
    theirs_registry, ours_registry = CollectorRegistry(), CollectorRegistry()
    theirs = Gauge("some_timestamp_seconds", "Some help.", LABELS, registry=theirs_registry)
    ours = CompactGauge("some_timestamp_seconds", "Some help.", LABELS, ours_registry)
    for gauge in (theirs, ours):
        gauge.labels("web", "prod", "ca").set(1.7e9)
        gauge.labels("api", "prod", "ca").set(12)
        gauge.labels("api", "prod", "ca").set(13.5)
        gauge.labels("old", "dev", "ca").set(1)
        gauge.remove("old", "dev", "ca")
    assert generate_latest(ours_registry) == generate_latest(theirs_registry)
    assert ours.value("api", "prod", "ca") == 13.5
    assert ours.value("old", "dev", "ca") is None


def test_removing_a_missing_series_is_a_key_error_and_label_count_is_checked() -> None:
    gauge = CompactGauge("g", "Help.", LABELS, CollectorRegistry())
    with pytest.raises(KeyError):
        gauge.remove("nope", "ns", "ca")
    with pytest.raises(ValueError, match="takes labels"):
        gauge.labels("only-one")


def test_name_filtered_scrapes_find_the_gauge() -> None:
    registry = CollectorRegistry()
    CompactGauge("a_seconds", "Help.", LABELS, registry).labels("x", "y", "z").set(2)
    CompactGauge("b_seconds", "Help.", LABELS, registry).labels("x", "y", "z").set(3)
    text = generate_latest(registry.restricted_registry(["a_seconds"])).decode()
    assert 'a_seconds{issuer_name="z",name="x",namespace="y"} 2.0' in text
    assert "b_seconds" not in text
