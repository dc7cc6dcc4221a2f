"""Vault's AWS IAM login is accepted in manifests, as cert-manager does, but certpilot cannot log in
with it: the issuer gets an error that says so and names the methods it can use."""

from __future__ import annotations

import pytest

from certpilot.api.vault_issuer import VaultAuth, VaultAWSAuth, VaultIssuer
from certpilot.issuers.vault_auth import VaultAuthConfigError, credentials_for
from certpilot.store.sqlite import SQLiteStore


async def test_aws_login_is_refused_with_the_supported_methods(store: SQLiteStore) -> None:
    config = VaultIssuer(
        server="https://vault.example.com", path="pki/sign/web", auth=VaultAuth(aws=VaultAWSAuth(role="web"))
    )
    with pytest.raises(VaultAuthConfigError, match=r"auth\.aws .*not supported.*tokenSecretRef, appRole"):
        await credentials_for(config, store, "default")
