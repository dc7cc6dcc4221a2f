"""The SelfSigned issuer backend against a real SQLite store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509

from certpilot.api.annotations import PRIVATE_KEY_SECRET_NAME
from certpilot.api.issuer import Issuer, IssuerSpec, SelfSignedIssuer
from certpilot.api.meta import ObjectMeta
from certpilot.issuers.base import IssuerContext, Pending, Permanent
from certpilot.issuers.selfsigned import SelfSignedIssuerBackend
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock
from tests.unit.issuers.issuer_material import NAMESPACE, NOW, key_secret, new_key, openssl, request


def context(store: SQLiteStore, clock: FakeClock, crl: list[str] | None = None) -> IssuerContext:
    issuer = Issuer(
        metadata=ObjectMeta(name="selfsigned", namespace=NAMESPACE),
        spec=IssuerSpec(self_signed=SelfSignedIssuer(crl_distribution_points=crl)),
    )
    return IssuerContext(issuer=issuer, resource_namespace=NAMESPACE, store=store, clock=clock)


async def test_check_is_ready_with_reason_is_ready(store: SQLiteStore, clock: FakeClock) -> None:
    ready = await SelfSignedIssuerBackend().check(context(store, clock))
    assert ready.reason == "IsReady"


async def test_signs_with_the_key_in_the_annotated_secret(
    store: SQLiteStore, clock: FakeClock, tmp_path: Path
) -> None:
    key = new_key()
    await store.create(key_secret("next-key", key))
    cr = request("root", key, common_name="My Root", is_ca=True, key_secret_name="next-key", duration="8760h")
    signed = await SelfSignedIssuerBackend().sign(
        context(store, clock, ["http://crl.example.com/root.crl"]), cr
    )
    cert = x509.load_pem_x509_certificate(signed.certificate)
    assert signed.ca == signed.certificate, "ca.crt of a self-signed certificate is the certificate itself"
    assert cert.issuer == cert.subject
    assert cert.not_valid_after_utc == NOW + timedelta(hours=8760)
    (tmp_path / "root.pem").write_bytes(signed.certificate)
    at = str(int((NOW + timedelta(hours=1)).timestamp()))
    verified = openssl("verify", "-attime", at, "-CAfile", "root.pem", "root.pem", cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    text = openssl("x509", "-in", "root.pem", "-noout", "-text", cwd=tmp_path).stdout
    assert "CA:TRUE" in text
    assert "http://crl.example.com/root.crl" in text


async def test_missing_annotation_is_permanent(store: SQLiteStore, clock: FakeClock) -> None:
    with pytest.raises(Permanent, match=PRIVATE_KEY_SECRET_NAME):
        await SelfSignedIssuerBackend().sign(context(store, clock), request("r", new_key()))


async def test_missing_key_secret_is_pending(store: SQLiteStore, clock: FakeClock) -> None:
    cr = request("r", new_key(), key_secret_name="not-yet")
    with pytest.raises(Pending) as caught:
        await SelfSignedIssuerBackend().sign(context(store, clock), cr)
    assert caught.value.requeue_after > 0
    assert '"default/not-yet" not found' in str(caught.value)


async def test_csr_of_another_key_is_permanent(store: SQLiteStore, clock: FakeClock) -> None:
    await store.create(key_secret("next-key", new_key()))
    cr = request("r", new_key(), key_secret_name="next-key")
    with pytest.raises(Permanent, match="does not match the private key"):
        await SelfSignedIssuerBackend().sign(context(store, clock), cr)


async def test_key_secret_without_key_is_permanent_and_names_it(store: SQLiteStore, clock: FakeClock) -> None:
    secret = key_secret("next-key", new_key())
    secret.data = {}
    await store.create(secret)
    with pytest.raises(Permanent, match=r'"tls\.key"'):
        await SelfSignedIssuerBackend().sign(
            context(store, clock), request("r", new_key(), key_secret_name="next-key")
        )
