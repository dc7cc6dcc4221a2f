"""The Vault issuer when things go wrong, against a real OpenBao: Vault down and back, a revoked
token, a TLS name that does not match; and credentials never leaking into status, events or logs."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest

from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.core import Event, Secret
from certpilot.api.issuer import Issuer
from certpilot.api.meta import Condition
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.builders import certificate
from certpilot.testing.peers.openbao import OpenBaoServer, PKIMount
from tests.e2e.vault.vault_harness import (
    NAMESPACE,
    certificate_request,
    csr_pem,
    eventually,
    issued_pems,
    issuer_ready,
    openssl_verify,
    ready_condition,
    request_finished,
    running_certpilot,
)
from tests.e2e.vault.vault_objects import approle_auth, secret, token_auth, vault_issuer


async def issuer_not_ready(store: SQLiteStore, name: str) -> Condition:
    async def probe() -> Condition | None:
        ready = ready_condition(await store.get(Issuer, name, NAMESPACE))
        return ready if ready is not None and ready.status == "False" else None

    return await eventually(probe, f"Issuer {name} not Ready")


async def everything_recorded(store: SQLiteStore) -> str:
    """Every status and event in the store, as one text to search for secrets."""
    issuers, _ = await store.list(Issuer)
    requests, _ = await store.list(CertificateRequest)
    events, _ = await store.list(Event)
    texts = [str(i.to_dict().get("status")) for i in issuers]
    texts += [str(cr.to_dict().get("status")) for cr in requests]
    texts += [f"{e.reason} {e.message}" for e in events]
    return "\n".join(texts)


async def test_vault_down_leaves_the_request_pending_and_it_is_issued_when_vault_is_back(
    tmp_path: Path,
) -> None:
    server = OpenBaoServer(tmp_path / "openbao").start()
    try:
        pki = server.setup_pki()
        async with running_certpilot(tmp_path / "store.db") as store:
            await store.create(secret("vault-token", token=server.create_token().encode()))
            await store.create(vault_issuer("vault", server, pki.sign_path, token_auth("vault-token")))
            await issuer_ready(store, "vault")
            server.stop()
            await store.create(
                certificate_request("web", "vault", csr_pem("web.example.test", ["web.example.test"]))
            )

            async def pending() -> Condition | None:
                ready = ready_condition(await store.get(CertificateRequest, "web", NAMESPACE))
                return ready if ready is not None and ready.reason == "Pending" else None

            # Pending either on the failed signing call or on the issuer, re-checked and not Ready.
            waiting = await eventually(pending, "the request Pending while Vault is down")
            await issuer_not_ready(store, "vault")
            # Dev mode starts empty: the same address comes back with a new CA and a new token.
            server.start()
            pki = server.setup_pki()
            token = server.create_token()
            current = await store.get(Secret, "vault-token", NAMESPACE)
            current.set_data("token", token.encode())
            await store.update(current)
            cr = await request_finished(store, "web")
    finally:
        server.stop()
    assert waiting.status == "False"
    chain, _ = issued_pems(cr)
    assert openssl_verify(chain, pki.root_pem, tmp_path).endswith("OK")


async def test_a_revoked_token_makes_the_issuer_not_ready_without_revealing_it(
    tmp_path: Path,
    openbao: OpenBaoServer,
    pki: PKIMount,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = openbao.create_token(pki.mount)
    openbao.revoke_token(token)
    # A working token in the environment must not be picked up instead.
    monkeypatch.setenv("VAULT_TOKEN", openbao.root_token)
    caplog.set_level(logging.DEBUG)
    async with running_certpilot(tmp_path / "store.db") as store:
        await store.create(secret("vault-token", token=token.encode()))
        await store.create(vault_issuer("vault", openbao, pki.sign_path, token_auth("vault-token")))
        ready = await issuer_not_ready(store, "vault")
        recorded = await everything_recorded(store)
    assert ready.reason == "VaultError"
    assert "denied" in (ready.message or "") and "token revoked or expired" in (ready.message or "")
    assert "token revoked or expired" in recorded  # the search below looks at real records
    for leaked in (token, openbao.root_token):
        assert leaked not in recorded
        assert leaked not in caplog.text


async def test_approle_secret_id_never_appears_in_status_events_logs_or_reprs(
    tmp_path: Path, openbao: OpenBaoServer, pki: PKIMount, caplog: pytest.LogCaptureFixture
) -> None:
    role_id, secret_id = openbao.enable_approle(role=pki.mount, policy=pki.mount, mount=f"ar-{pki.mount}")
    auth = approle_auth(role_id, "approle")
    assert auth.app_role is not None
    auth.app_role.path = f"ar-{pki.mount}"
    caplog.set_level(logging.DEBUG)
    async with running_certpilot(tmp_path / "store.db") as store:
        await store.create(secret("approle", secretId=secret_id.encode()))
        await store.create(vault_issuer("vault", openbao, pki.sign_path, auth))
        await issuer_ready(store, "vault")
        await store.create(
            certificate_request("evil", "vault", csr_pem("evil.other.test", ["evil.other.test"]))
        )
        await request_finished(store, "evil")
        recorded = await everything_recorded(store)
        secret_repr = repr(await store.get(Secret, "approle", NAMESPACE))
    assert "not allowed by this role" in recorded and "approle" in secret_repr
    assert secret_id not in recorded and secret_id not in caplog.text and secret_id not in secret_repr


async def test_a_tls_name_that_does_not_match_makes_the_issuer_not_ready(
    tmp_path: Path, openbao_tls: OpenBaoServer, pki_tls: PKIMount
) -> None:
    async with running_certpilot(tmp_path / "store.db") as store:
        await store.create(secret("vault-token", token=openbao_tls.create_token(pki_tls.mount).encode()))
        await store.create(
            vault_issuer(
                "vault",
                openbao_tls,
                pki_tls.sign_path,
                token_auth("vault-token"),
                server_name="vault.wrong.test",
            )
        )
        ready = await issuer_not_ready(store, "vault")
    assert ready.reason == "VaultError"
    assert "unreachable" in (ready.message or "") and "vault.wrong.test" in (ready.message or "")


async def test_a_certificate_becomes_ready_with_a_secret_signed_by_vault(
    tmp_path: Path, openbao: OpenBaoServer, pki: PKIMount
) -> None:
    async with running_certpilot(tmp_path / "store.db", certificates=True) as store:
        await store.create(secret("vault-token", token=openbao.create_token(pki.mount).encode()))
        await store.create(vault_issuer("vault", openbao, pki.sign_path, token_auth("vault-token")))
        await store.create(certificate("app", issuer="vault", dns_names=["app.example.test"], duration="2h"))

        async def certificate_ready() -> Certificate | None:
            cert = await store.get(Certificate, "app", NAMESPACE)
            ready = ready_condition(cert)
            return cert if ready is not None and ready.status == "True" else None

        await eventually(certificate_ready, "Certificate app Ready", seconds=60)
        tls = await store.get(Secret, "app-tls", NAMESPACE)
    chain, ca = tls.get_data("tls.crt"), tls.get_data("ca.crt")
    assert chain is not None and ca is not None and tls.get_data("tls.key")
    assert openssl_verify(chain, pki.root_pem, tmp_path).endswith("OK")
    assert base64.b64encode(ca) and b"BEGIN CERTIFICATE" in ca
