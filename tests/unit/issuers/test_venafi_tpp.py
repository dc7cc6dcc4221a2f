"""The Venafi issuer against a local HTTPS stand-in for the TPP endpoints it calls (no Venafi TPP
can run here; see venafi_tpp_server.py): login, zone check, submit, pending pickup resumed by its
pickup id, retrieve, and a refusal by the zone policy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.issuer import Issuer
from certpilot.issuers.base import IssuerContext, IssuerNotReady, Pending, Permanent
from certpilot.issuers.venafi import ANNOTATION_CUSTOM_FIELDS, ANNOTATION_PICKUP_ID, VenafiIssuerBackend
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock
from tests.unit.issuers.issuer_material import new_key, request
from tests.unit.issuers.venafi_material import TPP_PASSWORD, credentials_secret, tpp_credentials, tpp_issuer
from tests.unit.issuers.venafi_stand_ins import ACCESS_TOKEN, TPPStandIn


@pytest.fixture
def tpp(tmp_path: Path) -> Iterator[tuple[TPPStandIn, str]]:
    stand_in = TPPStandIn(tmp_path, username="certpilot", password=TPP_PASSWORD)
    url = stand_in.start()
    yield stand_in, url
    stand_in.stop()


async def context(
    store: SQLiteStore, clock: FakeClock, stand_in: TPPStandIn, issuer: Issuer
) -> IssuerContext:
    ca_secret = credentials_secret("tpp-ca")
    ca_secret.set_data("ca.crt", stand_in.ca_pem)
    await store.create(ca_secret)
    return IssuerContext(issuer=issuer, resource_namespace="default", store=store, clock=clock)


async def test_submit_pending_pickup_then_retrieve_without_resubmitting(
    store: SQLiteStore, clock: FakeClock, tpp: tuple[TPPStandIn, str], tmp_path: Path
) -> None:
    stand_in, url = tpp
    stand_in.pending_pickups = 1
    await store.create(tpp_credentials())
    ctx = await context(store, clock, stand_in, tpp_issuer(url, ca_bundle_secret="tpp-ca"))
    backend = VenafiIssuerBackend()
    cr = request(
        "web", new_key(), issuer="venafi", common_name="web.example.test", dns_names=["web.example.test"]
    )
    cr.metadata.annotations = {ANNOTATION_CUSTOM_FIELDS: '[{"name": "Cost Center", "value": "42"}]'}
    await store.create(cr)

    assert (await backend.check(ctx)).reason == "Verified"
    with pytest.raises(Pending, match="pickup id") as pending:
        await backend.sign(ctx, cr)
    pickup_id = ((await store.get(CertificateRequest, "web", "default")).metadata.annotations or {})[
        ANNOTATION_PICKUP_ID
    ]
    signed = await backend.sign(ctx, cr)

    assert pending.value.requeue_after == 30.0
    assert pickup_id == "\\VED\\Policy\\certpilot\\web\\web.example.test"
    assert len(stand_in.requests) == 1
    assert stand_in.requests[0]["CustomFields"] == [{"Name": "Cost Center", "Values": ["42"]}]
    chain = x509.load_pem_x509_certificates(signed.certificate)
    assert len(chain) == 1 and x509.load_pem_x509_certificate(signed.ca) == stand_in.ca
    chain[0].verify_directly_issued_by(stand_in.ca)


async def test_a_name_the_zone_policy_refuses_is_permanent_with_its_message(
    store: SQLiteStore, clock: FakeClock, tpp: tuple[TPPStandIn, str]
) -> None:
    stand_in, url = tpp
    await store.create(tpp_credentials())
    ctx = await context(store, clock, stand_in, tpp_issuer(url, ca_bundle_secret="tpp-ca"))
    cr = request("evil", new_key(), issuer="venafi", common_name="evil.other.test")
    await store.create(cr)
    with pytest.raises(Permanent, match=r"Subject CN evil\.other\.test is not permitted by the policy"):
        await VenafiIssuerBackend().sign(ctx, cr)
    assert stand_in.requests == []


async def test_wrong_credentials_make_the_issuer_not_ready_without_revealing_them(
    store: SQLiteStore, clock: FakeClock, tpp: tuple[TPPStandIn, str], caplog: pytest.LogCaptureFixture
) -> None:
    stand_in, url = tpp
    await store.create(
        credentials_secret("tpp-credentials", username="certpilot", password="wrong-password-xyz")
    )
    ctx = await context(store, clock, stand_in, tpp_issuer(url, ca_bundle_secret="tpp-ca"))
    with pytest.raises(IssuerNotReady) as raised:
        await VenafiIssuerBackend().check(ctx)
    assert raised.value.reason == "ErrorConfig"
    for secret in ("wrong-password-xyz", ACCESS_TOKEN):
        assert secret not in str(raised.value) and secret not in caplog.text


async def test_an_untrusted_tpp_certificate_makes_the_issuer_not_ready(
    store: SQLiteStore, clock: FakeClock, tpp: tuple[TPPStandIn, str]
) -> None:
    _, url = tpp
    await store.create(tpp_credentials())
    ctx = IssuerContext(issuer=tpp_issuer(url), resource_namespace="default", store=store, clock=clock)
    with pytest.raises(IssuerNotReady, match=r"unreachable.*SSLError"):
        await VenafiIssuerBackend().check(ctx)
