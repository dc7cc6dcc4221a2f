"""cert-manager's metric names and labels, as a Prometheus scrape shows them."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from certpilot.server import metrics

ISSUER = ("ca-issuer", "Issuer", "cert-manager.io")


def scrape() -> str:
    return generate_latest(metrics.REGISTRY).decode()


def test_ready_status_has_one_series_per_condition() -> None:
    metrics.set_certificate_ready_status("web", "prod", ISSUER, "False")
    text = scrape()
    labels = (
        'issuer_group="cert-manager.io",issuer_kind="Issuer",issuer_name="ca-issuer",'
        'name="web",namespace="prod"'
    )
    assert f'certmanager_certificate_ready_status{{condition="False",{labels}}} 1.0' in text
    assert f'certmanager_certificate_ready_status{{condition="True",{labels}}} 0.0' in text
    assert f'certmanager_certificate_ready_status{{condition="Unknown",{labels}}} 0.0' in text


def test_forget_certificate_removes_its_series() -> None:
    metrics.set_certificate_ready_status("gone", "prod", ISSUER, "True")
    metrics.CERTIFICATE_NOT_AFTER_TIMESTAMP.labels("gone", "prod", *ISSUER).set(1e9)
    metrics.forget_certificate("gone", "prod", ISSUER)
    assert 'name="gone"' not in scrape()


def test_counters_keep_cert_managers_exact_names() -> None:
    metrics.CONTROLLER_SYNC_ERROR_COUNT.inc("names-test")
    metrics.observe_acme_request("https", "acme.test", "discover", "GET", "200", duration_seconds=0.25)
    text = scrape()
    assert 'certmanager_controller_sync_error_count{controller="names-test"} 1.0' in text
    assert "certmanager_controller_sync_error_count_total" not in text
    assert (
        'certmanager_http_acme_client_request_count{action="discover",host="acme.test",method="GET",'
        'scheme="https",status="200"}' in text
    )
    assert "certmanager_http_acme_client_request_duration_seconds_sum{" in text
    assert "_created" not in text


def test_issuer_and_clusterissuer_ready_status() -> None:
    metrics.set_issuer_ready_status(False, "ns-issuer", "prod", "True")
    metrics.set_issuer_ready_status(True, "cluster-issuer", "", "Unknown")
    text = scrape()
    assert 'certmanager_issuer_ready_status{condition="True",name="ns-issuer",namespace="prod"} 1.0' in text
    assert (
        'certmanager_clusterissuer_ready_status{condition="Unknown",name="cluster-issuer",namespace=""} 1.0'
        in text
    )


def test_exact_name_counter_validates_labels_and_monotonicity() -> None:
    counter = metrics.ExactNameCounter("test_count", "help", ("a",), CollectorRegistry())
    counter.inc("x", amount=2)
    assert counter.value("x") == 2
    with pytest.raises(ValueError, match="takes labels"):
        counter.inc("x", "y")
    with pytest.raises(ValueError, match="cannot decrease"):
        counter.inc("x", amount=-1)
