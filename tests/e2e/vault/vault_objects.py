"""Vault Issuers and their Secrets, as a user would declare them."""

from __future__ import annotations

import base64

from certpilot.api.core import Secret
from certpilot.api.issuer import Issuer, IssuerSpec
from certpilot.api.meta import ObjectMeta, SecretKeySelector
from certpilot.api.vault_issuer import VaultAppRole, VaultAuth, VaultClientCertificateAuth, VaultIssuer
from certpilot.testing.peers.openbao import OpenBaoServer

NAMESPACE = "default"


def secret(name: str, **data: bytes) -> Secret:
    created = Secret(metadata=ObjectMeta(name=name, namespace=NAMESPACE))
    for key, value in data.items():
        created.set_data(key.replace("_", "."), value)
    return created


def vault_issuer(name: str, server: OpenBaoServer, path: str, auth: VaultAuth, **fields: object) -> Issuer:
    """A Vault Issuer for `server`; over TLS it trusts the server's CA through caBundle."""
    if server.tls and "ca_bundle_secret_ref" not in fields:
        fields.setdefault("ca_bundle", base64.b64encode(server.ca_pem).decode())
    config = VaultIssuer(server=server.url, path=path, auth=auth, **fields)
    return Issuer(metadata=ObjectMeta(name=name, namespace=NAMESPACE), spec=IssuerSpec(vault=config))


def token_auth(secret_name: str) -> VaultAuth:
    return VaultAuth(token_secret_ref=SecretKeySelector(name=secret_name, key="token"))


def approle_auth(role_id: str, secret_name: str) -> VaultAuth:
    return VaultAuth(
        app_role=VaultAppRole(
            path="approle", role_id=role_id, secret_ref=SecretKeySelector(name=secret_name, key="secretId")
        )
    )


def cert_auth(name: str, secret_name: str) -> VaultAuth:
    return VaultAuth(client_certificate=VaultClientCertificateAuth(name=name, secret_name=secret_name))
