"""Connecting to Vault as a Vault issuer says: server URL, namespace, which CA to trust, the TLS
name to verify, and a client certificate for mutual TLS.

Trust comes only from what the issuer configures (caBundle / caBundleSecretRef, else the system
roots): the requests session ignores the environment (proxies, REQUESTS_CA_BUNDLE, netrc) and hvac
is never left to find a token or a client certificate in VAULT_* variables or ~/.vault-token.
"""

from __future__ import annotations

import base64
import binascii
import os
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hvac
import requests
from requests.adapters import HTTPAdapter

from certpilot.api.core import TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY
from certpilot.api.meta import SecretKeySelector
from certpilot.api.vault_issuer import VaultIssuer
from certpilot.issuers.secrets import get_secret, secret_value
from certpilot.store.protocol import Store

CA_BUNDLE_KEY = "ca.crt"
REQUEST_TIMEOUT_SECONDS = 30


class VaultConfigError(ValueError):
    """The issuer's connection settings cannot be used (bad CA bundle, client key...)."""


@dataclass(frozen=True)
class ClientCertificate:
    """A certificate and key presented in the TLS handshake; the key never shows in a repr."""

    certificate_pem: bytes
    key_pem: bytes = field(repr=False)


@dataclass(frozen=True)
class VaultConnection:
    url: str
    namespace: str | None = None
    ca_pem: bytes | None = None
    server_name: str | None = None
    client_certificate: ClientCertificate | None = None


async def read_secret_key(
    store: Store, namespace: str, selector: SecretKeySelector, default_key: str
) -> bytes:
    secret = await get_secret(store, namespace, selector.name)
    return secret_value(secret, selector.key or default_key)


def decode_ca_bundle(ca_bundle: str) -> bytes:
    """spec.vault.caBundle is base64 PEM, as in Kubernetes."""
    try:
        return base64.b64decode(ca_bundle, validate=True)
    except (binascii.Error, ValueError):
        raise VaultConfigError(
            "spec.vault.caBundle is not base64 (it must be the base64 of PEM CA certificates)"
        ) from None


async def connection_for(config: VaultIssuer, store: Store, namespace: str) -> VaultConnection:
    """Gather the connection settings, reading the referenced Secrets. Raises SecretProblem or
    VaultConfigError."""
    ca_pem: bytes | None = None
    if config.ca_bundle:
        ca_pem = decode_ca_bundle(config.ca_bundle)
    elif config.ca_bundle_secret_ref is not None:
        ca_pem = await read_secret_key(store, namespace, config.ca_bundle_secret_ref, CA_BUNDLE_KEY)
    client_certificate = None
    if config.client_cert_secret_ref is not None and config.client_key_secret_ref is not None:
        client_certificate = ClientCertificate(
            await read_secret_key(store, namespace, config.client_cert_secret_ref, TLS_CERT_KEY),
            await read_secret_key(store, namespace, config.client_key_secret_ref, TLS_PRIVATE_KEY_KEY),
        )
    return VaultConnection(
        url=config.server.rstrip("/"),
        namespace=config.namespace,
        ca_pem=ca_pem,
        server_name=config.server_name,
        client_certificate=client_certificate,
    )


def load_client_certificate(context: ssl.SSLContext, client: ClientCertificate) -> None:
    """ssl only loads keys from files: write them to a private directory just long enough."""
    with tempfile.TemporaryDirectory(prefix="certpilot-vault-") as directory:
        cert_path, key_path = Path(directory, "tls.crt"), Path(directory, "tls.key")
        cert_path.write_bytes(client.certificate_pem)
        key_fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(key_fd, "wb") as key_file:
            key_file.write(client.key_pem)
        try:
            context.load_cert_chain(cert_path, key_path)
        except ssl.SSLError:
            raise VaultConfigError(
                "the client certificate and key for Vault do not load as a PEM key pair"
            ) from None


def ssl_context_for(connection: VaultConnection) -> ssl.SSLContext:
    """The configured CA bundle alone, else the system roots; plus the client certificate."""
    try:
        cadata = connection.ca_pem.decode("ascii") if connection.ca_pem is not None else None
        context = ssl.create_default_context(cadata=cadata)
    except (UnicodeDecodeError, ssl.SSLError):
        raise VaultConfigError("the CA bundle for Vault does not hold PEM certificates") from None
    if connection.client_certificate is not None:
        load_client_certificate(context, connection.client_certificate)
    return context


class _IssuerTLSAdapter(HTTPAdapter):
    """Every TLS setting comes from the SSL context built for this issuer (and the name to verify)."""

    def __init__(self, context: ssl.SSLContext, server_name: str | None) -> None:
        self._context = context
        self._server_name = server_name
        super().__init__()

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        pool_kwargs["ssl_context"] = self._context
        if self._server_name:
            pool_kwargs["server_hostname"] = self._server_name
            pool_kwargs["assert_hostname"] = self._server_name
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        """Trust is the SSL context's alone: no default CA file is added to it."""


def new_client(connection: VaultConnection, token: str = "") -> hvac.Client:
    """An hvac client with no token unless one is given (blocking calls: run it in a thread)."""
    session = requests.Session()
    session.trust_env = False
    session.mount("https://", _IssuerTLSAdapter(ssl_context_for(connection), connection.server_name))
    return hvac.Client(
        url=connection.url,
        token=token,
        cert=False,
        verify=True,
        timeout=REQUEST_TIMEOUT_SECONDS,
        session=session,
        namespace=connection.namespace,
    )
