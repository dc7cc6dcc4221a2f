"""The Venafi issuer's `ngts` platform (Palo Alto Networks Next Generation Trust Services) through
vcert, against a local HTTPS stand-in for the OAuth token endpoint and the NGTS certificate API (no
NGTS can run here; see venafi_stand_ins.py): a client-credentials token scoped to the TSG ID, a
request issued at once, and bad credentials making the issuer not ready without revealing them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.issuers.base import IssuerContext, IssuerNotReady
from certpilot.issuers.venafi import ANNOTATION_PICKUP_ID, VenafiIssuerBackend
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock
from tests.unit.issuers.issuer_material import new_key, request
from tests.unit.issuers.venafi_material import (
    NGTS_CLIENT_SECRET,
    NGTS_TSG_ID,
    credentials_secret,
    ngts_credentials,
    ngts_issuer,
)
from tests.unit.issuers.venafi_stand_ins import NGTSStandIn


@pytest.fixture
def ngts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[NGTSStandIn, str]]:
    stand_in = NGTSStandIn(
        tmp_path, client_id="certpilot", client_secret=NGTS_CLIENT_SECRET, tsg_id=NGTS_TSG_ID
    )
    (tmp_path / "ngts-ca.pem").write_bytes(stand_in.ca_pem)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "ngts-ca.pem"))
    url = stand_in.start()
    yield stand_in, url
    stand_in.stop()


async def test_ngts_check_submit_and_retrieve(
    store: SQLiteStore, clock: FakeClock, ngts: tuple[NGTSStandIn, str]
) -> None:
    stand_in, url = ngts
    await store.create(ngts_credentials())
    ctx = IssuerContext(issuer=ngts_issuer(url), resource_namespace="default", store=store, clock=clock)
    cr = request(
        "web", new_key(), issuer="venafi", common_name="web.example.test", dns_names=["web.example.test"]
    )
    await store.create(cr)
    backend = VenafiIssuerBackend()

    assert (await backend.check(ctx)).message == "Venafi issuer started"
    signed = await backend.sign(ctx, cr)
    stored = await store.get(CertificateRequest, "web", "default")

    assert stand_in.token_requests[0] == {
        "grant_type": "client_credentials",
        "scope": f"tsg_id:{NGTS_TSG_ID}",
    }
    assert len(stand_in.requests) == 1 and stand_in.requests[0]["certificateIssuingTemplateId"] == "cit-id"
    assert (stored.metadata.annotations or {})[ANNOTATION_PICKUP_ID] in stand_in.issued
    x509.load_pem_x509_certificates(signed.certificate)[0].verify_directly_issued_by(stand_in.ca)


async def test_wrong_client_secret_makes_the_issuer_not_ready_without_revealing_it(
    store: SQLiteStore, clock: FakeClock, ngts: tuple[NGTSStandIn, str]
) -> None:
    _, url = ngts
    await store.create(
        credentials_secret("ngts-credentials", client_id="certpilot", client_secret="wrong-secret-xyz")
    )
    ctx = IssuerContext(issuer=ngts_issuer(url), resource_namespace="default", store=store, clock=clock)
    with pytest.raises(IssuerNotReady) as raised:
        await VenafiIssuerBackend().check(ctx)
    assert "wrong-secret-xyz" not in str(raised.value)
    assert "access token" in str(raised.value)


async def test_missing_client_secret_key_names_it(store: SQLiteStore, clock: FakeClock) -> None:
    await store.create(credentials_secret("ngts-credentials", client_id="certpilot"))
    ctx = IssuerContext(
        issuer=ngts_issuer("https://127.0.0.1:1"), resource_namespace="default", store=store, clock=clock
    )
    with pytest.raises(IssuerNotReady, match="client-secret"):
        await VenafiIssuerBackend().check(ctx)


async def test_a_tsg_id_vcert_refuses_makes_the_issuer_not_ready_saying_why(
    store: SQLiteStore, clock: FakeClock
) -> None:
    await store.create(ngts_credentials())
    ctx = IssuerContext(
        issuer=ngts_issuer("https://127.0.0.1:1", tsg_id="12ab"),
        resource_namespace="default",
        store=store,
        clock=clock,
    )
    with pytest.raises(IssuerNotReady, match="10-digit"):
        await VenafiIssuerBackend().check(ctx)
