"""Issuer fallback end to end: an ACME issuer whose CA cannot validate the name (pebble's VA asks
BIND, which answers only for example.test) fails the first attempt; the CA issuer named in
certpilot.io/fallback-issuers then issues; Events say which issuer issued and why."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from certpilot.api import annotations as keys
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.core import Event, Secret
from certpilot.api.issuer import Issuer
from certpilot.testing import builders
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.acme_issuance.issuance_harness import Daemon, acme_issuer, certificate, chain_of, condition_is
from tests.e2e.acme_issuance.modern_pebble_harness import modern_pebble_server

StartDaemon = Callable[..., Awaitable[Daemon]]
UNVALIDATABLE = "web.fallback.invalid"


@pytest.fixture
def modern(pebble_factory: Callable[..., PebbleServer], modern_pebble: Path) -> PebbleServer:
    return modern_pebble_server(pebble_factory, modern_pebble)


def ca_secret(name: str) -> tuple[Secret, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "fallback test CA")])
    now = datetime.datetime.now(datetime.UTC)
    ca = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return builders.secret_tls(
        name, cert_pem=ca.public_bytes(serialization.Encoding.PEM), key_pem=key_pem
    ), ca


async def test_the_ca_fallback_issues_when_the_acme_issuer_fails(
    daemons: StartDaemon, modern: PebbleServer
) -> None:
    daemon = await daemons(issuance_backoff_initial=datetime.timedelta(seconds=1))
    secret, ca = ca_secret("backup-ca")
    await daemon.create(secret)
    await daemon.create(builders.issuer_ca("ca-backup", secret_name="backup-ca"))
    await daemon.create(acme_issuer(modern))
    await daemon.wait_for(Issuer, "acme", condition_is("Ready", "True"))
    wanted = certificate("fb", [UNVALIDATABLE])
    wanted.metadata.annotations = {keys.FALLBACK_ISSUERS: "Issuer/ca-backup"}
    await daemon.create(wanted)

    await daemon.wait_ready("fb", within_seconds=90)

    tls = await daemon.get(Secret, "fb-tls")
    assert tls is not None
    leaf = x509.load_pem_x509_certificate(chain_of(tls))
    assert leaf.issuer == ca.subject
    leaf.verify_directly_issued_by(ca)
    annotations = tls.metadata.annotations or {}
    assert (annotations[keys.ISSUER_NAME], annotations[keys.ISSUER_KIND]) == ("ca-backup", "Issuer")
    requests_, _ = await daemon.store.list(CertificateRequest, "default")
    by_issuer = {r.spec.issuer_ref.name: r for r in requests_}
    assert set(by_issuer) == {"ca-backup"}  # the failed ACME request was replaced
    events, _ = await daemon.store.list(Event, "default")
    fallback = [e.message for e in events if e.reason == "FallbackIssuer"]
    assert fallback == [
        "Requesting from fallback issuer Issuer/ca-backup: Issuer/acme failed (1 failed issuance attempts)"
    ]
    failed = [e.message or "" for e in events if e.reason == "Failed"]
    assert len(failed) == 1 and "order is invalid" in failed[0] and UNVALIDATABLE in failed[0]
