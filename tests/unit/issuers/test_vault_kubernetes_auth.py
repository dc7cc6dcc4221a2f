"""The Vault issuer's Kubernetes auth: cert-manager's token audiences, and serviceAccountRef
refused with a clear message where no API server can give a token (the standalone SQLite store).
The token request itself is tested against the real API server and OpenBao in
tests/e2e/kube/test_vault_kubernetes_auth.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from certpilot.api.common import ServiceAccountRef
from certpilot.api.issuer import ClusterIssuer, Issuer
from certpilot.api.vault_issuer import VaultAuth, VaultIssuer, VaultKubernetesAuth
from certpilot.issuers.vault_auth import VaultAuthConfigError, credentials_for, default_audience
from certpilot.store.sqlite import SQLiteStore
from certpilot.store.tokens import ServiceAccountTokens
from certpilot.testing.clock import FakeClock


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "store.db", clock=FakeClock())
    yield opened
    await opened.close()


def test_the_default_audience_names_the_issuer_as_cert_manager_does() -> None:
    issuer = Issuer.model_validate(
        {"metadata": {"name": "vault", "namespace": "apps"}, "spec": {"selfSigned": {}}}
    )
    cluster_issuer = ClusterIssuer.model_validate({"metadata": {"name": "vault"}, "spec": {"selfSigned": {}}})
    assert default_audience(issuer) == "vault://apps/vault"
    assert default_audience(cluster_issuer) == "vault://vault"


async def test_a_service_account_token_needs_the_kubernetes_runtime(store: SQLiteStore) -> None:
    assert not isinstance(store, ServiceAccountTokens)
    config = VaultIssuer(
        server="https://vault.example.com",
        path="pki/sign/role",
        auth=VaultAuth(
            kubernetes=VaultKubernetesAuth(role="r", service_account_ref=ServiceAccountRef(name="sa"))
        ),
    )
    with pytest.raises(
        VaultAuthConfigError, match=r"serviceAccountRef needs the Kubernetes runtime.*secretRef"
    ):
        await credentials_for(config, store, "apps")
