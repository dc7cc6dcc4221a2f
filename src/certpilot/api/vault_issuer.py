"""The `vault` block of an Issuer: a HashiCorp Vault (or OpenBao) PKI mount and how to log in to it."""

from __future__ import annotations

from pydantic import Field

from certpilot.api.common import ServiceAccountRef
from certpilot.api.meta import ApiModel, SecretKeySelector
from certpilot.api.scalars import Base64


class VaultAppRole(ApiModel):
    path: str
    role_id: str = Field(alias="roleId")
    secret_ref: SecretKeySelector


class VaultClientCertificateAuth(ApiModel):
    """TLS certificate login; `secretName` holds tls.crt / tls.key to present."""

    mount_path: str | None = None
    name: str | None = None
    secret_name: str | None = None


class VaultKubernetesAuth(ApiModel):
    role: str
    mount_path: str | None = None
    secret_ref: SecretKeySelector | None = None
    service_account_ref: ServiceAccountRef | None = None


class VaultAWSAuth(ApiModel):
    """AWS IAM login: signed STS GetCallerIdentity from ambient credentials or, with
    `serviceAccountRef`, from a role assumed with the service account's token (`iamRoleArn`)."""

    role: str = Field(min_length=1)
    mount_path: str | None = None
    region: str | None = None
    iam_role_arn: str | None = None
    vault_header_value: str | None = None
    service_account_ref: ServiceAccountRef | None = None


class VaultAuth(ApiModel):
    token_secret_ref: SecretKeySelector | None = None
    app_role: VaultAppRole | None = None
    client_certificate: VaultClientCertificateAuth | None = None
    kubernetes: VaultKubernetesAuth | None = None
    aws: VaultAWSAuth | None = None

    def methods(self) -> list[str]:
        """JSON names of the auth methods that are set (valid config has exactly one)."""
        return [field.alias or name for name, field in type(self).model_fields.items() if getattr(self, name)]


class VaultIssuer(ApiModel):
    server: str
    path: str
    auth: VaultAuth
    namespace: str | None = None
    server_name: str | None = None
    ca_bundle: Base64 | None = None
    ca_bundle_secret_ref: SecretKeySelector | None = None
    client_cert_secret_ref: SecretKeySelector | None = None
    client_key_secret_ref: SecretKeySelector | None = None
