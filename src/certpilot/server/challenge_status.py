"""certmanager_certificate_challenge_status: for every Challenge, one series per ACME state, 1 for
the state it is in, read from the challenges at scrape time as cert-manager's ACME collector does
(so a deleted Challenge or a changed reason leaves no stale series)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from certpilot.api.acme import Challenge

NAME = "certmanager_certificate_challenge_status"
HELP = "The status of certificate challenges"
LABELS = ("status", "domain", "reason", "processing", "name", "namespace", "type")
# cert-manager's order; "" is the unknown state of a Challenge not yet synced with the server.
STATES = ("ready", "valid", "errored", "expired", "invalid", "processing", "", "pending")

ChallengeSource = Callable[[], Iterable[Challenge]]


def challenge_series(challenge: Challenge) -> Iterable[tuple[tuple[str, ...], float]]:
    """(label values, value) of every series of one Challenge."""
    status = challenge.status
    state = str(status.state) if status and status.state else ""
    processing = "true" if status and status.processing else "false"
    reason = (status.reason or "") if status else ""
    spec = challenge.spec
    for candidate in STATES:
        labels = (
            candidate,
            spec.dns_name,
            reason,
            processing,
            challenge.name,
            challenge.namespace or "",
            str(spec.type),
        )
        yield labels, 1.0 if candidate == state else 0.0


class ChallengeStatusCollector(Collector):
    """Reads the Challenges from `source` (the daemon's cache) on each scrape; none without one."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._source: ChallengeSource | None = None
        registry.register(self)

    def read_from(self, source: ChallengeSource | None) -> None:
        self._source = source

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(NAME, HELP, labels=LABELS)
        challenges = self._source() if self._source is not None else []
        for challenge in sorted(challenges, key=lambda c: (c.namespace or "", c.name)):
            for labels, value in challenge_series(challenge):
                family.add_metric(labels, value)
        yield family

    def describe(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(NAME, HELP, labels=LABELS)
