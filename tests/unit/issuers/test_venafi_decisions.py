"""The Venafi issuer's decisions as pure functions, and its submit / pickup flow through vcert's own
FakeConnection (no Venafi server can run here; vcert's fake signs with its built-in test CA)."""

from __future__ import annotations

from typing import Any

import pytest
import vcert
import vcert.errors
from cryptography.hazmat.primitives.asymmetric import ec

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.issuers.base import IssuerContext, Permanent
from certpilot.issuers.venafi import (
    ANNOTATION_CUSTOM_FIELDS,
    ANNOTATION_PICKUP_ID,
    VenafiIssuerBackend,
    VenafiSettings,
    custom_fields_from,
    http_status_of,
    server_message_of,
    validity_hours,
    zone_policy_problem,
)
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock
from tests.unit.issuers.issuer_material import new_key, request
from tests.unit.issuers.venafi_material import TPP_PASSWORD, tpp_credentials, tpp_issuer


def test_custom_fields_are_parsed_from_the_annotation() -> None:
    annotation = (
        '[{"name": "cost-center", "value": "42"}, {"name": "owner", "value": "web", "type": "Plain"}]'
    )
    assert custom_fields_from(annotation) == [("cost-center", "42"), ("owner", "web")]
    assert custom_fields_from(None) == []


@pytest.mark.parametrize(
    ("annotation", "complaint"),
    [
        ("not json", "not valid JSON"),
        ('{"name": "x"}', "must be a JSON list"),
        ('[{"value": "x"}]', "needs a string name"),
        ('[{"name": "x", "value": "y", "type": "Binary"}]', "type 'Binary' is not supported"),
    ],
)
def test_bad_custom_fields_are_permanent(annotation: str, complaint: str) -> None:
    with pytest.raises(Permanent, match=complaint):
        custom_fields_from(annotation)


class _Policy:
    SubjectCNRegexes = [r".*\.example\.test"]
    SANRegexes = [r".*\.example\.test"]


def test_zone_policy_problem() -> None:
    assert zone_policy_problem(_Policy(), "web.example.test", ["web.example.test"]) is None
    assert "common name 'evil.other.test'" in (zone_policy_problem(_Policy(), "evil.other.test", []) or "")
    assert "DNS name 'evil.other.test'" in (
        zone_policy_problem(_Policy(), "web.example.test", ["evil.other.test"]) or ""
    )
    assert zone_policy_problem(object(), "anything", ["at.all"]) is None


def test_vcert_errors_are_read_for_status_and_venafi_message() -> None:
    error = vcert.errors.VenafiConnectionError(
        "\n\tServer status: 400\n\tURL: https://tpp/vedsdk/certificates/request"
        '\n\tResponse: b\'{"Error": "CN not allowed"}\''
    )
    assert http_status_of(error) == 400
    assert server_message_of(error) == "CN not allowed"
    assert http_status_of(vcert.errors.VenafiError("other")) is None


def test_validity_hours_round_up() -> None:
    from datetime import timedelta

    assert validity_hours(timedelta(minutes=90)) == 2
    assert validity_hours(timedelta(seconds=1)) == 1


def test_settings_never_show_credentials() -> None:
    settings = VenafiSettings(
        "tpp", "https://tpp", "z", username="u", password="p4ss", access_token="t0k", api_key="k3y"
    )
    assert not any(secret in repr(settings) for secret in ("p4ss", "t0k", "k3y"))


class CountingFake(vcert.FakeConnection):  # type: ignore[misc]
    """vcert's FakeConnection, counting submissions. The fake also returns the request's private
    key, which certpilot never has (the CSR is ours): it is given a throwaway one to copy."""

    submitted = 0

    def request_cert(self, request: Any, zone: str) -> Any:
        CountingFake.submitted += 1
        return super().request_cert(request, zone)

    def retrieve_cert(self, certificate_request: Any) -> Any:
        certificate_request.private_key = ec.generate_private_key(ec.SECP256R1())
        return super().retrieve_cert(certificate_request)


async def test_fake_connection_submits_once_and_resumes_by_pickup_id(
    store: SQLiteStore, clock: FakeClock
) -> None:
    CountingFake.submitted = 0
    backend = VenafiIssuerBackend(connect=lambda settings: CountingFake())
    await store.create(tpp_credentials())
    ctx = IssuerContext(
        issuer=tpp_issuer("https://tpp.example.test"), resource_namespace="default", store=store, clock=clock
    )
    cr = request(
        "web", new_key(), issuer="venafi", common_name="web.example.test", dns_names=["web.example.test"]
    )
    cr.metadata.annotations = {ANNOTATION_CUSTOM_FIELDS: '[{"name": "owner", "value": "web"}]'}
    await store.create(cr)

    assert (await backend.check(ctx)).reason == "Verified"
    first = await backend.sign(ctx, cr)
    stored = await store.get(CertificateRequest, "web", "default")
    again = await backend.sign(ctx, cr)

    assert CountingFake.submitted == 1
    assert (stored.metadata.annotations or {})[ANNOTATION_PICKUP_ID] == "web.example.test"
    leaf = vcert_fake_leaf(first.certificate)
    leaf.verify_directly_issued_by(vcert_fake_root())
    assert vcert_fake_leaf(again.certificate).public_key() == leaf.public_key()
    assert TPP_PASSWORD not in repr(ctx)


async def test_a_csr_without_common_name_is_permanent(store: SQLiteStore, clock: FakeClock) -> None:
    backend = VenafiIssuerBackend(connect=lambda settings: CountingFake())
    await store.create(tpp_credentials())
    ctx = IssuerContext(
        issuer=tpp_issuer("https://tpp.example.test"), resource_namespace="default", store=store, clock=clock
    )
    cr = request("nocn", new_key(), issuer="venafi", common_name="", dns_names=["web.example.test"])
    await store.create(cr)
    with pytest.raises(Permanent, match="needs a common name"):
        await backend.sign(ctx, cr)


def vcert_fake_leaf(pem: bytes) -> Any:
    from cryptography import x509

    return x509.load_pem_x509_certificates(pem)[0]


def vcert_fake_root() -> Any:
    from cryptography import x509
    from vcert.connection_fake import ROOT_CA

    return x509.load_pem_x509_certificate(ROOT_CA)
