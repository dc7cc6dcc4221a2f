"""The Vault issuer against a real OpenBao, through the real request lifecycle (SQLite store,
runtime manager, the issuers and certificaterequests controllers)."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.meta import SecretKeySelector
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.peers.openbao import OpenBaoServer, PKIMount
from tests.e2e.vault.vault_harness import (
    certificate_request,
    client_ca_and_certificate,
    csr_pem,
    issued_pems,
    issuer_ready,
    openssl_verify,
    ready_condition,
    request_finished,
    running_certpilot,
)
from tests.e2e.vault.vault_objects import approle_auth, cert_auth, secret, token_auth, vault_issuer


async def issue_one(store: SQLiteStore, issuer: str, name: str = "web") -> CertificateRequest:
    await store.create(certificate_request(name, issuer, csr_pem("web.example.test", ["web.example.test"])))
    return await request_finished(store, name)


async def test_token_auth_over_http_issues_a_certificate_that_verifies(
    tmp_path: Path, openbao: OpenBaoServer, pki: PKIMount
) -> None:
    async with running_certpilot(tmp_path / "store.db") as store:
        await store.create(secret("vault-token", token=openbao.create_token(pki.mount).encode()))
        await store.create(vault_issuer("vault", openbao, pki.sign_path, token_auth("vault-token")))
        ready = await issuer_ready(store, "vault")
        cr = await issue_one(store, "vault")
    assert (ready.reason, ready.message) == ("VaultVerified", "Vault verified")
    chain, ca = issued_pems(cr)
    assert x509.load_pem_x509_certificate(ca) == x509.load_pem_x509_certificate(pki.root_pem)
    assert openssl_verify(chain, pki.root_pem, tmp_path).endswith("OK")
    leaf = x509.load_pem_x509_certificate(chain)
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    # The request's 1h becomes Vault's TTL (Vault backdates notBefore by 30s).
    assert 3600 <= lifetime.total_seconds() <= 3600 + 60


async def test_approle_over_tls_issues_a_certificate_that_verifies(
    tmp_path: Path, openbao_tls: OpenBaoServer, pki_tls: PKIMount
) -> None:
    role_id, secret_id = openbao_tls.enable_approle(
        role=pki_tls.mount, policy=pki_tls.mount, mount=f"ar-{pki_tls.mount}"
    )
    auth = approle_auth(role_id, "approle")
    assert auth.app_role is not None
    auth.app_role.path = f"ar-{pki_tls.mount}"
    async with running_certpilot(tmp_path / "store.db") as store:
        await store.create(secret("approle", secretId=secret_id.encode()))
        await store.create(vault_issuer("vault", openbao_tls, pki_tls.sign_path, auth))
        await issuer_ready(store, "vault")
        cr = await issue_one(store, "vault")
    chain, _ = issued_pems(cr)
    assert openssl_verify(chain, pki_tls.root_pem, tmp_path).endswith("OK")


async def test_client_certificate_auth_with_mutual_tls_issues(
    tmp_path: Path, openbao_tls: OpenBaoServer, pki_tls: PKIMount
) -> None:
    client_ca, client_cert, client_key = client_ca_and_certificate("certpilot")
    openbao_tls.enable_cert_auth("certpilot", client_ca, policy=pki_tls.mount, mount=f"cert-{pki_tls.mount}")
    auth = cert_auth("certpilot", "vault-client")
    assert auth.client_certificate is not None
    auth.client_certificate.mount_path = f"/v1/auth/cert-{pki_tls.mount}"
    async with running_certpilot(tmp_path / "store.db") as store:
        await store.create(secret("vault-client", tls_crt=client_cert, tls_key=client_key))
        await store.create(secret("vault-ca", ca_crt=openbao_tls.ca_pem))
        await store.create(
            vault_issuer(
                "vault",
                openbao_tls,
                pki_tls.sign_path,
                auth,
                ca_bundle_secret_ref=SecretKeySelector(name="vault-ca"),
                server_name="localhost",
            )
        )
        await issuer_ready(store, "vault")
        cr = await issue_one(store, "vault")
    chain, _ = issued_pems(cr)
    assert openssl_verify(chain, pki_tls.root_pem, tmp_path).endswith("OK")


async def test_a_name_the_role_refuses_fails_the_request_with_vaults_message(
    tmp_path: Path, openbao: OpenBaoServer, pki: PKIMount
) -> None:
    async with running_certpilot(tmp_path / "store.db") as store:
        await store.create(secret("vault-token", token=openbao.create_token(pki.mount).encode()))
        await store.create(vault_issuer("vault", openbao, pki.sign_path, token_auth("vault-token")))
        await issuer_ready(store, "vault")
        await store.create(
            certificate_request("evil", "vault", csr_pem("evil.other.test", ["evil.other.test"]))
        )
        cr = await request_finished(store, "evil")
    ready = ready_condition(cr)
    assert ready is not None and ready.reason == "Failed"
    assert "not allowed by this role" in (ready.message or "") and "evil.other.test" in (ready.message or "")
    assert cr.status is not None and cr.status.failure_time is not None


async def test_a_ca_request_is_signed_as_an_intermediate(
    tmp_path: Path, openbao: OpenBaoServer, pki: PKIMount
) -> None:
    async with running_certpilot(tmp_path / "store.db") as store:
        await store.create(secret("vault-token", token=openbao.create_token(pki.mount).encode()))
        await store.create(vault_issuer("vault", openbao, pki.sign_path, token_auth("vault-token")))
        await issuer_ready(store, "vault")
        csr = csr_pem("certpilot intermediate", [], is_ca=True)
        await store.create(certificate_request("intermediate", "vault", csr, is_ca=True))
        cr = await request_finished(store, "intermediate")
    chain, _ = issued_pems(cr)
    leaf = x509.load_pem_x509_certificate(chain)
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert openssl_verify(chain, pki.root_pem, tmp_path).endswith("OK")


async def test_a_vault_namespace_is_sent_with_every_call(tmp_path: Path, openbao: OpenBaoServer) -> None:
    namespace = f"team-{tmp_path.name[-8:]}".replace("_", "-")
    openbao.create_namespace(namespace)
    pki = openbao.setup_pki(mount="pki", policy="pki", namespace=namespace)
    token = openbao.create_token("pki", namespace=namespace)
    async with running_certpilot(tmp_path / "store.db") as store:
        await store.create(secret("vault-token", token=token.encode()))
        await store.create(
            vault_issuer("vault", openbao, pki.sign_path, token_auth("vault-token"), namespace=namespace)
        )
        await issuer_ready(store, "vault")
        cr = await issue_one(store, "vault")
    chain, ca = issued_pems(cr)
    assert x509.load_pem_x509_certificate(ca) == x509.load_pem_x509_certificate(pki.root_pem)
    assert openssl_verify(chain, pki.root_pem, tmp_path).endswith("OK")
