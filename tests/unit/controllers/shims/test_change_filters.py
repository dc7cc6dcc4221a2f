"""Which changes wake a shim: its source's spec, labels, annotations (not status, which ingress
controllers write often), and its Certificates' spec and metadata (not their status, which issuance
writes many times)."""

from __future__ import annotations

from certpilot.api.certificate import Certificate, CertificateStatus
from certpilot.api.ingress import Ingress
from certpilot.controllers.shims.controller import certificate_changed, source_changed


def web() -> Ingress:
    return Ingress.model_validate(
        {
            "metadata": {"name": "web", "annotations": {"cert-manager.io/issuer": "ca"}},
            "spec": {"tls": [{"hosts": ["a.x"], "secretName": "s"}]},
        }
    )


def test_a_status_update_of_the_source_is_ignored_and_an_annotation_change_is_not() -> None:
    before = web()
    with_status = before.model_copy(update={"status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}}})
    assert not source_changed(before, with_status)
    metadata = before.metadata.model_copy(update={"annotations": {"cert-manager.io/issuer": "other"}})
    assert source_changed(before, before.model_copy(update={"metadata": metadata}))


def test_a_certificates_status_is_ignored_and_its_spec_is_not() -> None:
    before = Certificate.model_validate(
        {"metadata": {"name": "s"}, "spec": {"secretName": "s", "issuerRef": {"name": "ca"}}}
    )
    assert not certificate_changed(
        before, before.model_copy(update={"status": CertificateStatus(revision=2)})
    )
    edited = before.model_copy(update={"spec": before.spec.model_copy(update={"dns_names": ["b.x"]})})
    assert certificate_changed(before, edited)
