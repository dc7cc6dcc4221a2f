"""The process's Prometheus registry and cert-manager's metrics, with cert-manager's names and labels,
so existing dashboards and alerts work unchanged. Every layer records into these objects.

Counters: prometheus_client always exposes a counter as `<name>_total`, while cert-manager's
counters are named without the suffix (`certmanager_controller_sync_call_count`). To keep the exact
series names dashboards query, they are exposed by `ExactNameCounter` (type `untyped`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

import prometheus_client
from prometheus_client import CollectorRegistry, Gauge, Summary
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from certpilot.server.compact_gauge import CompactGauge

# cert-manager exposes no `_created` series; neither do we (a process-wide prometheus_client switch).
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]

REGISTRY = CollectorRegistry()

CERTIFICATE_LABELS = ("name", "namespace", "issuer_name", "issuer_kind", "issuer_group")
ACME_REQUEST_LABELS = ("scheme", "host", "path", "method", "status")
ISSUER_LABELS = ("name", "namespace", "condition")


class ExactNameCounter(Collector):
    """A labelled monotonic counter exposed under exactly `name` (no `_total` suffix added)."""

    def __init__(
        self, name: str, documentation: str, labelnames: Sequence[str], registry: CollectorRegistry
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()
        registry.register(self)

    def inc(self, *labelvalues: str, amount: float = 1.0) -> None:
        if len(labelvalues) != len(self.labelnames):
            raise ValueError(f"{self.name} takes labels {self.labelnames}, got {labelvalues}")
        if amount < 0:
            raise ValueError(f"{self.name} is a counter: it cannot decrease (amount {amount})")
        with self._lock:
            self._values[labelvalues] = self._values.get(labelvalues, 0.0) + amount

    def value(self, *labelvalues: str) -> float:
        with self._lock:
            return self._values.get(labelvalues, 0.0)

    def collect(self) -> Iterable[Metric]:
        metric = Metric(self.name, self.documentation, "untyped")
        with self._lock:
            for labelvalues, value in sorted(self._values.items()):
                metric.add_sample(self.name, dict(zip(self.labelnames, labelvalues, strict=True)), value)
        yield metric

    def describe(self) -> Iterable[Metric]:
        yield Metric(self.name, self.documentation, "untyped")


CERTIFICATE_READY_STATUS = CompactGauge(
    "certmanager_certificate_ready_status",
    "The ready status of the certificate.",
    ("name", "namespace", "condition", "issuer_name", "issuer_kind", "issuer_group"),
    REGISTRY,
)
CERTIFICATE_EXPIRATION_TIMESTAMP = CompactGauge(
    "certmanager_certificate_expiration_timestamp_seconds",
    "The date after which the certificate expires. Expressed as a Unix Epoch Time.",
    CERTIFICATE_LABELS,
    REGISTRY,
)
CERTIFICATE_NOT_AFTER_TIMESTAMP = CompactGauge(
    "certmanager_certificate_not_after_timestamp_seconds",
    "The timestamp after which the certificate is invalid. Expressed as a Unix Epoch Time.",
    CERTIFICATE_LABELS,
    REGISTRY,
)
CERTIFICATE_NOT_BEFORE_TIMESTAMP = CompactGauge(
    "certmanager_certificate_not_before_timestamp_seconds",
    "The timestamp before which the certificate is invalid. Expressed as a Unix Epoch Time.",
    CERTIFICATE_LABELS,
    REGISTRY,
)
CERTIFICATE_RENEWAL_TIMESTAMP = CompactGauge(
    "certmanager_certificate_renewal_timestamp_seconds",
    "The number of seconds before expiration time the certificate should renew.",
    CERTIFICATE_LABELS,
    REGISTRY,
)
CONTROLLER_SYNC_CALL_COUNT = ExactNameCounter(
    "certmanager_controller_sync_call_count",
    "The number of sync() calls made by a controller.",
    ("controller",),
    REGISTRY,
)
CONTROLLER_SYNC_ERROR_COUNT = ExactNameCounter(
    "certmanager_controller_sync_error_count",
    "The number of errors encountered during controller sync().",
    ("controller",),
    REGISTRY,
)
ACME_CLIENT_REQUEST_COUNT = ExactNameCounter(
    "certmanager_http_acme_client_request_count",
    "The number of requests made by the ACME client.",
    ACME_REQUEST_LABELS,
    REGISTRY,
)
# cert-manager's is a Summary with quantile objectives; prometheus_client summaries expose count and sum.
ACME_CLIENT_REQUEST_DURATION = Summary(
    "certmanager_http_acme_client_request_duration_seconds",
    "The HTTP request latencies in seconds for the ACME client.",
    ACME_REQUEST_LABELS,
    registry=REGISTRY,
)
ISSUER_READY_STATUS = Gauge(
    "certmanager_issuer_ready_status",
    "The ready status of the issuer.",
    ISSUER_LABELS,
    registry=REGISTRY,
)
CLUSTERISSUER_READY_STATUS = Gauge(
    "certmanager_clusterissuer_ready_status",
    "The ready status of the cluster issuer.",
    ISSUER_LABELS,
    registry=REGISTRY,
)

CONDITION_STATUSES = ("True", "False", "Unknown")


def set_certificate_ready_status(
    name: str, namespace: str, issuer: tuple[str, str, str], status: str
) -> None:
    """One series per condition status, 1 for the current one, as cert-manager does.
    issuer: (issuer_name, issuer_kind, issuer_group)."""
    for condition in CONDITION_STATUSES:
        CERTIFICATE_READY_STATUS.labels(name, namespace, condition, *issuer).set(
            1.0 if condition == status else 0.0
        )


def forget_certificate(name: str, namespace: str, issuer: tuple[str, str, str]) -> None:
    """Drop every series of a deleted Certificate."""
    for condition in CONDITION_STATUSES:
        _remove_quietly(CERTIFICATE_READY_STATUS, name, namespace, condition, *issuer)
    for gauge in (
        CERTIFICATE_EXPIRATION_TIMESTAMP,
        CERTIFICATE_NOT_AFTER_TIMESTAMP,
        CERTIFICATE_NOT_BEFORE_TIMESTAMP,
        CERTIFICATE_RENEWAL_TIMESTAMP,
    ):
        _remove_quietly(gauge, name, namespace, *issuer)


def set_issuer_ready_status(cluster_scoped: bool, name: str, namespace: str, status: str) -> None:
    """namespace is "" for a ClusterIssuer."""
    gauge = CLUSTERISSUER_READY_STATUS if cluster_scoped else ISSUER_READY_STATUS
    for condition in CONDITION_STATUSES:
        gauge.labels(name, namespace, condition).set(1.0 if condition == status else 0.0)


def observe_acme_request(
    scheme: str, host: str, path: str, method: str, status: str, *, duration_seconds: float
) -> None:
    ACME_CLIENT_REQUEST_COUNT.inc(scheme, host, path, method, status)
    ACME_CLIENT_REQUEST_DURATION.labels(scheme, host, path, method, status).observe(duration_seconds)


def _remove_quietly(gauge: CompactGauge, *labelvalues: str) -> None:
    try:
        gauge.remove(*labelvalues)
    except KeyError:
        return
