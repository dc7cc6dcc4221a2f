"""The Venafi issuer against a local HTTPS stand-in for the Venafi Cloud endpoints it calls (no
Venafi Cloud can run here; see venafi_stand_ins.py): the API key check, a request issued at once,
and the zone policy (the issuing template's regexes) refusing a name before anything is sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.issuers.base import IssuerContext, IssuerNotReady, Permanent
from certpilot.issuers.venafi import ANNOTATION_PICKUP_ID, VenafiIssuerBackend
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock
from tests.unit.issuers.issuer_material import new_key, request
from tests.unit.issuers.venafi_material import (
    CLOUD_API_KEY,
    cloud_credentials,
    cloud_issuer,
    credentials_secret,
)
from tests.unit.issuers.venafi_stand_ins import CloudStandIn


@pytest.fixture
def cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CloudStandIn, str]]:
    """The stand-in, trusted the way a user trusts a private Cloud endpoint: REQUESTS_CA_BUNDLE."""
    stand_in = CloudStandIn(tmp_path, api_key=CLOUD_API_KEY)
    (tmp_path / "cloud-ca.pem").write_bytes(stand_in.ca_pem)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "cloud-ca.pem"))
    url = stand_in.start()
    yield stand_in, url
    stand_in.stop()


async def test_cloud_check_submit_and_retrieve(
    store: SQLiteStore, clock: FakeClock, cloud: tuple[CloudStandIn, str]
) -> None:
    stand_in, url = cloud
    await store.create(cloud_credentials())
    ctx = IssuerContext(
        issuer=cloud_issuer(url, zone="app\\template"), resource_namespace="default", store=store, clock=clock
    )
    cr = request(
        "web", new_key(), issuer="venafi", common_name="web.example.test", dns_names=["web.example.test"]
    )
    await store.create(cr)
    backend = VenafiIssuerBackend()

    assert (await backend.check(ctx)).message == "Venafi issuer started"
    signed = await backend.sign(ctx, cr)
    stored = await store.get(CertificateRequest, "web", "default")

    assert len(stand_in.requests) == 1 and stand_in.requests[0]["validityPeriod"] == "PT2160H"
    assert (stored.metadata.annotations or {})[ANNOTATION_PICKUP_ID] in stand_in.issued
    x509.load_pem_x509_certificates(signed.certificate)[0].verify_directly_issued_by(stand_in.ca)
    assert x509.load_pem_x509_certificate(signed.ca) == stand_in.ca


async def test_cloud_zone_policy_refuses_a_name_before_submitting(
    store: SQLiteStore, clock: FakeClock, cloud: tuple[CloudStandIn, str]
) -> None:
    stand_in, url = cloud
    await store.create(cloud_credentials())
    ctx = IssuerContext(
        issuer=cloud_issuer(url, zone="app\\template"), resource_namespace="default", store=store, clock=clock
    )
    cr = request(
        "evil", new_key(), issuer="venafi", common_name="evil.other.test", dns_names=["evil.other.test"]
    )
    await store.create(cr)
    with pytest.raises(Permanent, match=r"common name 'evil\.other\.test' is not allowed by the zone policy"):
        await VenafiIssuerBackend().sign(ctx, cr)
    assert stand_in.requests == []


async def test_a_wrong_api_key_makes_the_issuer_not_ready_without_revealing_it(
    store: SQLiteStore, clock: FakeClock, cloud: tuple[CloudStandIn, str]
) -> None:
    _, url = cloud
    await store.create(credentials_secret("cloud-credentials", api_key="wrong-api-key-xyz"))
    ctx = IssuerContext(
        issuer=cloud_issuer(url, zone="app\\template"), resource_namespace="default", store=store, clock=clock
    )
    with pytest.raises(IssuerNotReady) as raised:
        await VenafiIssuerBackend().check(ctx)
    assert "wrong-api-key-xyz" not in str(raised.value)
