"""Logging in to Vault the way a Vault issuer's `auth` block says: a token from a Secret, AppRole,
a TLS client certificate, or a Kubernetes service account token (from a Secret, or requested
from the TokenRequest API when running on Kubernetes).

Credentials are read from Secrets (async, before any network call), then `login` runs in a thread.
They never appear in a repr, and `secret_values` lists them so error messages can be scrubbed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import hvac

from certpilot.api.core import TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY
from certpilot.api.meta import Resource
from certpilot.api.vault_issuer import VaultAuth, VaultIssuer, VaultKubernetesAuth
from certpilot.issuers.secrets import get_secret, secret_value
from certpilot.issuers.vault_connection import ClientCertificate, read_secret_key
from certpilot.store.errors import StoreError
from certpilot.store.protocol import Store
from certpilot.store.tokens import ServiceAccountTokens

DEFAULT_TOKEN_KEY = "token"  # noqa: S105 - a Secret data key name, not a credential
DEFAULT_APPROLE_SECRET_KEY = "secretId"  # noqa: S105 - a Secret data key name
DEFAULT_CERT_MOUNT_PATH = "/v1/auth/cert"
DEFAULT_KUBERNETES_MOUNT_PATH = "/v1/auth/kubernetes"
# cert-manager's: the token is used once to log in, so the shortest lifetime the API allows.
BOUND_TOKEN_EXPIRATION_SECONDS = 600


class VaultAuthConfigError(ValueError):
    """The auth block cannot be used as configured (no method, an unsupported source...)."""


@dataclass(frozen=True)
class TokenAuth:
    token: str = field(repr=False)


@dataclass(frozen=True)
class AppRoleAuth:
    mount: str
    role_id: str
    secret_id: str = field(repr=False)


@dataclass(frozen=True)
class CertificateAuth:
    """Login with the TLS client certificate of the connection (or `certificate` instead)."""

    mount_path: str
    name: str | None
    certificate: ClientCertificate | None


@dataclass(frozen=True)
class KubernetesAuth:
    mount_path: str
    role: str
    jwt: str = field(repr=False)


VaultCredentials = TokenAuth | AppRoleAuth | CertificateAuth | KubernetesAuth


def login_path(mount_path: str) -> str:
    """cert-manager's mountPath is the full API path of the method (`/v1/auth/cert`)."""
    return f"/{mount_path.strip('/')}/login"


def approle_login_path(mount: str) -> str:
    """appRole.path is the mount of the method (`approle`), below /v1/auth."""
    return f"/v1/auth/{mount.strip('/')}/login"


def default_audience(issuer: Resource | None) -> str:
    """cert-manager's issuer-specific audience: vault://NAMESPACE/NAME, or vault://NAME for a
    ClusterIssuer."""
    if issuer is None:
        return "vault://"
    return f"vault://{issuer.namespace}/{issuer.name}" if issuer.namespace else f"vault://{issuer.name}"


async def _kubernetes_jwt(
    kubernetes: VaultKubernetesAuth, server: str, store: Store, namespace: str, issuer: Resource | None
) -> str:
    """The service account token to log in with: from secretRef, or (serviceAccountRef) a bound
    token requested for the audiences cert-manager v1.12+ uses: the ones listed, then the
    issuer's own and the Vault server's URL, valid for 10 minutes (the API's minimum)."""
    if kubernetes.secret_ref is not None:
        return (
            (await read_secret_key(store, namespace, kubernetes.secret_ref, DEFAULT_TOKEN_KEY))
            .decode()
            .strip()
        )
    account = kubernetes.service_account_ref
    if account is None:
        raise VaultAuthConfigError("spec.vault.auth.kubernetes sets neither secretRef nor serviceAccountRef")
    if not isinstance(store, ServiceAccountTokens):
        raise VaultAuthConfigError(
            "spec.vault.auth.kubernetes.serviceAccountRef needs the Kubernetes runtime to request a "
            "service account token; in standalone set auth.kubernetes.secretRef to a Secret holding one"
        )
    audiences = [*(account.audiences or ()), default_audience(issuer), server]
    try:
        return await store.request_service_account_token(
            namespace, account.name, audiences, BOUND_TOKEN_EXPIRATION_SECONDS
        )
    except StoreError as error:
        raise VaultAuthConfigError(
            f"requesting a token for the service account {namespace}/{account.name} "
            f"(spec.vault.auth.kubernetes.serviceAccountRef): {error}"
        ) from None


async def credentials_for(
    config: VaultIssuer, store: Store, namespace: str, issuer: Resource | None = None
) -> VaultCredentials:
    """Read the credentials the auth block names (`issuer`: the Issuer or ClusterIssuer, for the
    audience of a requested service account token). Raises SecretProblem or VaultAuthConfigError."""
    auth: VaultAuth = config.auth
    if auth.token_secret_ref is not None:
        token = await read_secret_key(store, namespace, auth.token_secret_ref, DEFAULT_TOKEN_KEY)
        return TokenAuth(token.decode().strip())
    if auth.app_role is not None:
        role = auth.app_role
        secret_id = await read_secret_key(store, namespace, role.secret_ref, DEFAULT_APPROLE_SECRET_KEY)
        return AppRoleAuth(role.path, role.role_id, secret_id.decode().strip())
    if auth.client_certificate is not None:
        cert_auth = auth.client_certificate
        certificate = None
        if cert_auth.secret_name:
            secret = await get_secret(store, namespace, cert_auth.secret_name)
            certificate = ClientCertificate(
                secret_value(secret, TLS_CERT_KEY), secret_value(secret, TLS_PRIVATE_KEY_KEY)
            )
        return CertificateAuth(cert_auth.mount_path or DEFAULT_CERT_MOUNT_PATH, cert_auth.name, certificate)
    if auth.kubernetes is not None:
        kubernetes = auth.kubernetes
        jwt = await _kubernetes_jwt(kubernetes, config.server, store, namespace, issuer)
        return KubernetesAuth(kubernetes.mount_path or DEFAULT_KUBERNETES_MOUNT_PATH, kubernetes.role, jwt)
    if auth.aws is not None:
        raise VaultAuthConfigError(
            "spec.vault.auth.aws (AWS IAM login) is not supported by certpilot: "
            "use tokenSecretRef, appRole, clientCertificate or kubernetes"
        )
    raise VaultAuthConfigError(
        "spec.vault.auth sets no method: set one of tokenSecretRef, appRole, clientCertificate, kubernetes"
    )


def secret_values(credentials: VaultCredentials) -> list[str]:
    """The secret strings of these credentials, to scrub from any message."""
    if isinstance(credentials, TokenAuth):
        return [credentials.token]
    if isinstance(credentials, AppRoleAuth):
        return [credentials.secret_id]
    if isinstance(credentials, KubernetesAuth):
        return [credentials.jwt]
    return []


def login(client: hvac.Client, credentials: VaultCredentials) -> None:
    """Authenticate `client` (blocking). A token is checked with lookup-self, so a revoked or
    expired token fails here rather than at signing time. Raises hvac / requests errors."""
    if isinstance(credentials, TokenAuth):
        client.token = credentials.token
        client.auth.token.lookup_self()
    elif isinstance(credentials, AppRoleAuth):
        client.adapter.login(
            approle_login_path(credentials.mount),
            json={"role_id": credentials.role_id, "secret_id": credentials.secret_id},
        )
    elif isinstance(credentials, CertificateAuth):
        body = {"name": credentials.name} if credentials.name else {}
        client.adapter.login(login_path(credentials.mount_path), json=body)
    else:
        client.adapter.login(
            login_path(credentials.mount_path), json={"role": credentials.role, "jwt": credentials.jwt}
        )
