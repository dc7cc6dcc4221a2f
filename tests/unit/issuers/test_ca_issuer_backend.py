"""The CA issuer backend against a real SQLite store, with chains checked by openssl."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509

from certpilot.api.issuer import CAIssuer, Issuer, IssuerSpec
from certpilot.api.meta import ObjectMeta
from certpilot.issuers.base import IssuerContext, IssuerNotReady
from certpilot.issuers.ca import CAIssuerBackend, chain_and_ca
from certpilot.issuers.request import InvalidRequest
from certpilot.pki.csr import build_csr
from certpilot.pki.sign import sign_certificate
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.clock import FakeClock
from tests.unit.issuers.issuer_material import (
    NAMESPACE,
    NOW,
    intermediate_ca,
    new_key,
    openssl,
    pem,
    request,
    root_ca,
    spec,
    tls_secret,
)

ROOT_KEY = new_key()
ROOT = root_ca(ROOT_KEY)


def ca_issuer(secret_name: str = "ca-key-pair", **urls: list[str]) -> Issuer:
    return Issuer(
        metadata=ObjectMeta(name="ca", namespace=NAMESPACE),
        spec=IssuerSpec(ca=CAIssuer(secret_name=secret_name, **urls)),
    )


def context(store: SQLiteStore, clock: FakeClock, issuer: Issuer | None = None) -> IssuerContext:
    return IssuerContext(issuer=issuer or ca_issuer(), resource_namespace=NAMESPACE, store=store, clock=clock)


async def test_missing_secret_is_err_get_key_pair_naming_the_secret(
    store: SQLiteStore, clock: FakeClock
) -> None:
    with pytest.raises(IssuerNotReady) as caught:
        await CAIssuerBackend().check(context(store, clock))
    assert caught.value.reason == "ErrGetKeyPair"
    assert '"default/ca-key-pair" not found' in str(caught.value)


async def test_secret_without_key_is_err_get_key_pair(store: SQLiteStore, clock: FakeClock) -> None:
    await store.create(tls_secret("ca-key-pair", pem(ROOT), None))
    with pytest.raises(IssuerNotReady) as caught:
        await CAIssuerBackend().check(context(store, clock))
    assert caught.value.reason == "ErrGetKeyPair"
    assert '"tls.key"' in str(caught.value)


async def test_garbage_key_is_err_get_key_pair_without_echoing_it(
    store: SQLiteStore, clock: FakeClock
) -> None:
    secret = tls_secret("ca-key-pair", pem(ROOT), None)
    secret.set_data("tls.key", b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXN0dWZm\n-----END PRIVATE KEY-----\n")
    await store.create(secret)
    with pytest.raises(IssuerNotReady) as caught:
        await CAIssuerBackend().check(context(store, clock))
    assert caught.value.reason == "ErrGetKeyPair"
    assert "c2VjcmV0LXN0dWZm" not in str(caught.value)
    assert "PRIVATE KEY-----" not in str(caught.value)


async def test_non_ca_certificate_is_err_invalid_key_pair(store: SQLiteStore, clock: FakeClock) -> None:
    leaf_key = new_key()
    leaf = sign_certificate(
        build_csr(spec("not-a-ca"), leaf_key),
        issuer_cert=ROOT,
        issuer_key=ROOT_KEY,
        duration=timedelta(days=30),
        is_ca=False,
        usages=None,
        now=NOW,
    )
    await store.create(tls_secret("ca-key-pair", pem(leaf), leaf_key))
    with pytest.raises(IssuerNotReady) as caught:
        await CAIssuerBackend().check(context(store, clock))
    assert caught.value.reason == "ErrInvalidKeyPair"
    assert "not a CA" in str(caught.value)


async def test_mismatched_key_is_err_invalid_key_pair(store: SQLiteStore, clock: FakeClock) -> None:
    await store.create(tls_secret("ca-key-pair", pem(ROOT), new_key()))
    with pytest.raises(IssuerNotReady) as caught:
        await CAIssuerBackend().check(context(store, clock))
    assert caught.value.reason == "ErrInvalidKeyPair"
    assert "tls.key is not the private key" in str(caught.value)


async def test_expired_ca_is_err_invalid_key_pair(store: SQLiteStore, clock: FakeClock) -> None:
    await store.create(tls_secret("ca-key-pair", pem(ROOT), ROOT_KEY))
    clock.advance(timedelta(days=3651).total_seconds())
    with pytest.raises(IssuerNotReady) as caught:
        await CAIssuerBackend().check(context(store, clock))
    assert caught.value.reason == "ErrInvalidKeyPair"
    assert "expired" in str(caught.value)


async def test_valid_ca_is_verified(store: SQLiteStore, clock: FakeClock) -> None:
    await store.create(tls_secret("ca-key-pair", pem(ROOT), ROOT_KEY))
    ready = await CAIssuerBackend().check(context(store, clock))
    assert (ready.reason, ready.message) == ("KeyPairVerified", "Signing CA verified")


async def test_root_ca_signs_leaf_with_extensions_and_openssl_verifies(
    store: SQLiteStore, clock: FakeClock, tmp_path: Path
) -> None:
    await store.create(tls_secret("ca-key-pair", pem(ROOT), ROOT_KEY))
    issuer = ca_issuer(
        crl_distribution_points=["http://crl.example.com/ca.crl"],
        ocsp_servers=["http://ocsp.example.com"],
        issuing_certificate_urls=["http://ca.example.com/ca.crt"],
    )
    cr = request("leaf", new_key(), dns_names=["app.example.com"])
    signed = await CAIssuerBackend().sign(context(store, clock, issuer), cr)
    assert len(x509.load_pem_x509_certificates(signed.certificate)) == 1, "a root is never in the chain"
    assert signed.ca == pem(ROOT)
    (tmp_path / "tls.crt").write_bytes(signed.certificate)
    (tmp_path / "ca.crt").write_bytes(signed.ca)
    at = str(int((NOW + timedelta(hours=1)).timestamp()))
    verified = openssl("verify", "-attime", at, "-CAfile", "ca.crt", "tls.crt", cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    text = openssl("x509", "-in", "tls.crt", "-noout", "-text", cwd=tmp_path).stdout
    assert "X509v3 CRL Distribution Points" in text and "http://crl.example.com/ca.crl" in text
    assert "OCSP - URI:http://ocsp.example.com" in text
    assert "CA Issuers - URI:http://ca.example.com/ca.crt" in text
    assert "DNS:app.example.com" in text


async def test_intermediate_ca_returns_full_chain_and_root_as_ca(
    store: SQLiteStore, clock: FakeClock, tmp_path: Path
) -> None:
    intermediate_key = new_key()
    intermediate = intermediate_ca(intermediate_key, ROOT, ROOT_KEY)
    await store.create(tls_secret("ca-key-pair", pem(intermediate, ROOT), intermediate_key))
    signed = await CAIssuerBackend().sign(context(store, clock), request("leaf", new_key()))
    chain = x509.load_pem_x509_certificates(signed.certificate)
    assert [c.subject.rfc4514_string() for c in chain] == ["CN=app.example.com", "CN=Test Intermediate CA"]
    assert signed.ca == pem(ROOT)
    (tmp_path / "chain.pem").write_bytes(signed.certificate)
    (tmp_path / "leaf.pem").write_bytes(pem(chain[0]))
    (tmp_path / "ca.crt").write_bytes(signed.ca)
    at = str(int((NOW + timedelta(hours=1)).timestamp()))
    verified = openssl(
        "verify", "-attime", at, "-CAfile", "ca.crt", "-untrusted", "chain.pem", "leaf.pem", cwd=tmp_path
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr


async def test_intermediate_without_root_is_its_own_ca_crt(store: SQLiteStore, clock: FakeClock) -> None:
    intermediate_key = new_key()
    intermediate = intermediate_ca(intermediate_key, ROOT, ROOT_KEY)
    await store.create(tls_secret("ca-key-pair", pem(intermediate), intermediate_key))
    signed = await CAIssuerBackend().sign(context(store, clock), request("leaf", new_key()))
    assert len(x509.load_pem_x509_certificates(signed.certificate)) == 2
    assert signed.ca == pem(intermediate)


async def test_requested_duration_is_used(store: SQLiteStore, clock: FakeClock) -> None:
    await store.create(tls_secret("ca-key-pair", pem(ROOT), ROOT_KEY))
    signed = await CAIssuerBackend().sign(context(store, clock), request("leaf", new_key(), duration="48h"))
    leaf = x509.load_pem_x509_certificates(signed.certificate)[0]
    assert leaf.not_valid_after_utc == NOW + timedelta(hours=48)


async def test_duration_is_capped_by_the_ca_expiry(store: SQLiteStore, clock: FakeClock) -> None:
    short_key = new_key()
    short_root = root_ca(short_key, days=10)
    await store.create(tls_secret("ca-key-pair", pem(short_root), short_key))
    signed = await CAIssuerBackend().sign(context(store, clock), request("leaf", new_key(), duration="2160h"))
    leaf = x509.load_pem_x509_certificates(signed.certificate)[0]
    assert leaf.not_valid_after_utc == short_root.not_valid_after_utc


async def test_unparseable_csr_is_invalid_request(store: SQLiteStore, clock: FakeClock) -> None:
    await store.create(tls_secret("ca-key-pair", pem(ROOT), ROOT_KEY))
    cr = request(
        "leaf",
        new_key(),
        csr_pem=b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
    )
    with pytest.raises(InvalidRequest, match="Failed to decode CSR"):
        await CAIssuerBackend().sign(context(store, clock), cr)


def test_chain_and_ca_drops_only_a_self_signed_root() -> None:
    intermediate_key = new_key()
    intermediate = intermediate_ca(intermediate_key, ROOT, ROOT_KEY)
    chain, ca = chain_and_ca(ROOT, [intermediate, ROOT])
    assert chain == pem(ROOT, intermediate)
    assert ca == pem(ROOT)
