"""The process's Prometheus registry and cert-manager's metrics, with cert-manager's names and labels,
so existing dashboards and alerts work unchanged. Every layer records into these objects.
Labelled series are dict-backed (server/collectors.py): small at 10,000 Certificates, and
counters keep cert-manager's exact names.
"""

from __future__ import annotations

import prometheus_client
from prometheus_client import CollectorRegistry, Gauge, Summary

from certpilot.server.challenge_status import ChallengeStatusCollector
from certpilot.server.clock_time import ClockTimeCollector
from certpilot.server.collectors import CompactGauge, ExactNameCounter

# cert-manager exposes no `_created` series; neither do we (a process-wide prometheus_client switch).
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]

REGISTRY = CollectorRegistry()

CERTIFICATE_LABELS = ("name", "namespace", "issuer_name", "issuer_kind", "issuer_group")
ACME_REQUEST_LABELS = ("scheme", "host", "action", "method", "status")
ISSUER_LABELS = ("name", "namespace", "condition")


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
    "Total number of outbound ACME HTTP requests. Labels: scheme (http/https), host (ACME host), "
    "action (logical ACME operation), method (HTTP verb), status (HTTP status code).",
    ACME_REQUEST_LABELS,
    REGISTRY,
)
# cert-manager's is a Summary with quantile objectives; prometheus_client summaries expose count and sum.
ACME_CLIENT_REQUEST_DURATION = Summary(
    "certmanager_http_acme_client_request_duration_seconds",
    "Latency of outbound ACME HTTP requests in seconds. Labels: scheme (http/https), host (ACME host), "
    "action (logical ACME operation), method (HTTP verb), status (HTTP status code).",
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
# The daemon's challenge controller points it at its cache of Challenges.
CERTIFICATE_CHALLENGE_STATUS = ChallengeStatusCollector(REGISTRY)
CLOCK_TIME = ClockTimeCollector(REGISTRY)

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
    scheme: str, host: str, action: str, method: str, status: str, *, duration_seconds: float
) -> None:
    ACME_CLIENT_REQUEST_COUNT.inc(scheme, host, action, method, status)
    ACME_CLIENT_REQUEST_DURATION.labels(scheme, host, action, method, status).observe(duration_seconds)


def _remove_quietly(gauge: CompactGauge, *labelvalues: str) -> None:
    try:
        gauge.remove(*labelvalues)
    except KeyError:
        return
