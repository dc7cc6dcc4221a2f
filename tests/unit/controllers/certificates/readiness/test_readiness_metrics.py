"""The certificate metrics readiness records: every series of the Certificate, each time gauge
showing its own status time (0 when unset), and nothing left behind once forgotten."""

from __future__ import annotations

from datetime import UTC, datetime

from certpilot.api.certificate import CertificateStatus
from certpilot.controllers.certificates.readiness.certificate_readiness import issuer_labels, record_metrics
from certpilot.server import metrics
from certpilot.testing.builders import certificate

NOT_BEFORE = datetime(2030, 1, 1, tzinfo=UTC)
RENEWAL = datetime(2030, 3, 1, tzinfo=UTC)
NOT_AFTER = datetime(2030, 4, 1, tzinfo=UTC)


def series(name: str) -> tuple[str, ...]:
    cert = certificate(name)
    return (name, cert.namespace or "", *issuer_labels(cert))


def test_each_time_gauge_shows_its_status_time() -> None:
    status = CertificateStatus(not_before=NOT_BEFORE, not_after=NOT_AFTER, renewal_time=RENEWAL)
    record_metrics(certificate("timed"), status, "True")
    labels = series("timed")
    assert metrics.CERTIFICATE_NOT_BEFORE_TIMESTAMP.value(*labels) == NOT_BEFORE.timestamp()
    assert metrics.CERTIFICATE_NOT_AFTER_TIMESTAMP.value(*labels) == NOT_AFTER.timestamp()
    assert metrics.CERTIFICATE_EXPIRATION_TIMESTAMP.value(*labels) == NOT_AFTER.timestamp()
    assert metrics.CERTIFICATE_RENEWAL_TIMESTAMP.value(*labels) == RENEWAL.timestamp()
    name, namespace, *issuer = labels
    assert metrics.CERTIFICATE_READY_STATUS.value(name, namespace, "True", *issuer) == 1.0
    assert metrics.CERTIFICATE_READY_STATUS.value(name, namespace, "False", *issuer) == 0.0


def test_unset_times_are_zero_and_forgetting_removes_every_series() -> None:
    cert = certificate("untimed")
    record_metrics(cert, CertificateStatus(), "False")
    labels = series("untimed")
    gauges = (
        metrics.CERTIFICATE_NOT_BEFORE_TIMESTAMP,
        metrics.CERTIFICATE_NOT_AFTER_TIMESTAMP,
        metrics.CERTIFICATE_EXPIRATION_TIMESTAMP,
        metrics.CERTIFICATE_RENEWAL_TIMESTAMP,
    )
    assert [gauge.value(*labels) for gauge in gauges] == [0.0, 0.0, 0.0, 0.0]
    metrics.forget_certificate(cert.name, cert.namespace or "", issuer_labels(cert))
    assert [gauge.value(*labels) for gauge in gauges] == [None, None, None, None]
    name, namespace, *issuer = labels
    assert metrics.CERTIFICATE_READY_STATUS.value(name, namespace, "False", *issuer) is None
