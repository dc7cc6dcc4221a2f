"""The ACME account of an issuer: its key (kept in `privateKeySecretRef`), how its server is trusted,
its External Account Binding, and one shared AcmeClient per account.

One account per issuer serves every Certificate: clients are cached by issuer uid, server, TLS trust
and key hash, so a new key or server gets a new client and an unchanged issuer reuses the old one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from josepy.jwk import JWK, JWKEC, JWKRSA

from certpilot.acme.client import AcmeClient, ExternalAccountBinding
from certpilot.api.acme_issuer import ACMEIssuer
from certpilot.api.core import Secret
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.api.issuer import AnyIssuer
from certpilot.api.meta import ObjectMeta
from certpilot.issuers.base import IssuerNotReady, Permanent
from certpilot.issuers.secrets import SecretProblem, get_secret, parse_private_key, secret_value
from certpilot.pki.keys import KeySpec, PrivateKey, encode_private_key, generate_private_key
from certpilot.store.errors import AlreadyExists, NotFound
from certpilot.store.protocol import Store

DEFAULT_ACCOUNT_KEY_DATA_KEY = "tls.key"
# cert-manager generates RSA 2048 account keys.
ACCOUNT_KEY_SPEC = KeySpec(PrivateKeyAlgorithm.RSA, 2048)

REASON_INVALID_CONFIG = "InvalidConfig"
REASON_ACCOUNT_KEY = "ErrGetACMEAccountKey"
REASON_NOT_REGISTERED = "ErrRegisterACMEAccount"


@dataclass(frozen=True)
class AccountKey:
    key: PrivateKey
    hash: str  # cert-manager's lastPrivateKeyHash: base64 SHA-256 of the key, safe for status

    def __repr__(self) -> str:
        return f"AccountKey(hash={self.hash!r})"

    @property
    def jwk(self) -> JWK:
        if isinstance(self.key, rsa.RSAPrivateKey):
            return JWKRSA(key=self.key)
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            return JWKEC(key=self.key)
        raise IssuerNotReady(
            "the ACME account key must be an RSA or ECDSA key (Ed25519 cannot sign ACME requests)",
            REASON_ACCOUNT_KEY,
        )


def private_key_hash(key: PrivateKey) -> str:
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def acme_config_of(issuer: AnyIssuer) -> ACMEIssuer:
    config: ACMEIssuer | None = issuer.spec.acme
    if config is None:
        raise Permanent(f"issuer {issuer.name!r} has no spec.acme")
    return config


def account_key_data_key(config: ACMEIssuer) -> str:
    return config.private_key_secret_ref.key or DEFAULT_ACCOUNT_KEY_DATA_KEY


def _account_key_from(secret: Secret, data_key: str) -> AccountKey:
    where = f'secret "{secret.namespace}/{secret.name}" key "{data_key}"'
    key = parse_private_key(secret_value(secret, data_key), where)
    return AccountKey(key, private_key_hash(key))


async def read_account_key(store: Store, namespace: str, config: ACMEIssuer) -> AccountKey:
    """The account key in privateKeySecretRef; IssuerNotReady when it is missing or unusable."""
    try:
        secret = await get_secret(store, namespace, config.private_key_secret_ref.name)
        return _account_key_from(secret, account_key_data_key(config))
    except SecretProblem as e:
        raise IssuerNotReady(f"Failed to load the ACME account key: {e}", REASON_ACCOUNT_KEY) from None


def new_account_key_secret(namespace: str, config: ACMEIssuer, key: PrivateKey) -> Secret:
    secret = Secret(
        metadata=ObjectMeta(name=config.private_key_secret_ref.name, namespace=namespace), type="Opaque"
    )
    secret.set_data(account_key_data_key(config), encode_private_key(key))
    return secret


async def load_or_create_account_key(store: Store, namespace: str, config: ACMEIssuer) -> AccountKey:
    """The account key, generated and stored first when the Secret does not exist yet (unless
    disableAccountKeyGeneration: then its absence is reported for the user to fix)."""
    name = config.private_key_secret_ref.name
    try:
        await store.get(Secret, name, namespace)
    except NotFound:
        if config.disable_account_key_generation:
            raise IssuerNotReady(
                f'the ACME account key secret "{namespace}/{name}" does not exist and '
                "disableAccountKeyGeneration is set: create it with the account's private key",
                REASON_ACCOUNT_KEY,
            ) from None
        # Key generation blocks: the Manager makes its thread pool the loop's default executor.
        key = await asyncio.to_thread(generate_private_key, ACCOUNT_KEY_SPEC)
        # AlreadyExists: another issuer sharing the Secret won the race; its key is used.
        with contextlib.suppress(AlreadyExists):
            await store.create(new_account_key_secret(namespace, config, key))
    return await read_account_key(store, namespace, config)


async def external_account_binding(
    store: Store, namespace: str, config: ACMEIssuer
) -> ExternalAccountBinding | None:
    eab = config.external_account_binding
    if eab is None:
        return None
    ref = eab.key_secret_ref
    data_key = ref.key or "secret"
    try:
        secret = await get_secret(store, namespace, ref.name)
        raw = secret_value(secret, data_key).decode().strip()
    except (SecretProblem, UnicodeDecodeError) as e:
        raise IssuerNotReady(
            f"Failed to read the external account binding HMAC key: {e}", REASON_INVALID_CONFIG
        ) from None
    try:
        base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise IssuerNotReady(
            f'the external account binding HMAC key in secret "{namespace}/{ref.name}" key "{data_key}" '
            "is not base64url: paste the key exactly as your CA gave it",
            REASON_INVALID_CONFIG,
        ) from None
    algorithm = str(eab.key_algorithm) if eab.key_algorithm else "HS256"
    return ExternalAccountBinding(key_id=eab.key_id, hmac_key=raw, algorithm=algorithm)


CA_BUNDLE_DIRECTORY = Path(tempfile.gettempdir(), "certpilot-acme-ca-bundles")


def _ca_bundle_file(pem: bytes, directory: Path = CA_BUNDLE_DIRECTORY) -> str:
    """requests trusts CA bundles from files: one file per distinct bundle, named by its hash.
    Every Order and Challenge reconcile asks, so a bundle already on disk costs one stat."""
    path = directory / f"{hashlib.sha256(pem).hexdigest()}.pem"
    if not path.exists():
        directory.mkdir(mode=0o700, exist_ok=True)
        temporary = path.with_suffix(f".{threading.get_ident()}.tmp")
        temporary.write_bytes(pem)
        temporary.replace(path)
    return str(path)


def tls_verify_setting(config: ACMEIssuer) -> bool | str:
    """What the ACME client verifies the server with: skipTLSVerify, caBundle, or the system CAs."""
    if config.skip_tls_verify:
        return False
    if config.ca_bundle:
        try:
            pem = base64.b64decode(config.ca_bundle, validate=True)
        except (binascii.Error, ValueError):
            raise IssuerNotReady(
                "spec.acme.caBundle is not base64: give the base64 of the PEM CA bundle",
                REASON_INVALID_CONFIG,
            ) from None
        return _ca_bundle_file(pem)
    return True


@dataclass(frozen=True)
class ClientKey:
    issuer_uid: str
    server: str
    verify: bool | str
    key_hash: str


class AccountClients:
    """The AcmeClient of each registered account, shared by the issuer backend and the ACME
    controllers (one account per issuer, reused by every Certificate)."""

    def __init__(self) -> None:
        self._clients: dict[ClientKey, AcmeClient] = {}
        self._lock = threading.Lock()

    def get(self, key: ClientKey) -> AcmeClient | None:
        with self._lock:
            return self._clients.get(key)

    def forget(self, issuer_uid: str) -> None:
        """Drop the issuer's client: its account is to be registered again."""
        with self._lock:
            for stale in [k for k in self._clients if k.issuer_uid == issuer_uid]:
                del self._clients[stale]

    def put(self, key: ClientKey, client: AcmeClient) -> None:
        with self._lock:
            stale = [k for k in self._clients if k.issuer_uid == key.issuer_uid and k != key]
            for old in stale:
                del self._clients[old]
            self._clients[key] = client


# Process-wide: the issuer readiness controller registers accounts, the request signer and the
# ACME controllers use them; each builds its own backend instance, so the cache lives here.
ACCOUNT_CLIENTS = AccountClients()


def client_key(issuer: AnyIssuer, config: ACMEIssuer, account_key: AccountKey) -> ClientKey:
    return ClientKey(
        issuer_uid=issuer.metadata.uid or issuer.key,
        server=config.server,
        verify=tls_verify_setting(config),
        key_hash=account_key.hash,
    )


def new_client(
    config: ACMEIssuer, account_key: AccountKey, timeout: int, account_uri: str | None = None
) -> AcmeClient:
    return AcmeClient(
        config.server,
        account_key.jwk,
        verify=tls_verify_setting(config),
        timeout=timeout,
        account_uri=account_uri,
    )


def registered_account_uri(issuer: AnyIssuer, account_key: AccountKey) -> str | None:
    """The account URI the issuer's status records for this very key, if any."""
    acme_status = issuer.status.acme if issuer.status else None
    if acme_status is None or acme_status.last_private_key_hash != account_key.hash:
        return None
    uri: str | None = acme_status.uri
    return uri or None


async def client_for(
    issuer: AnyIssuer, resource_namespace: str, store: Store, http_timeout: int
) -> AcmeClient:
    """The client of the issuer's registered account, for orders and challenges. IssuerNotReady
    until the issuer readiness check has registered the account."""
    config = acme_config_of(issuer)
    account_key = await read_account_key(store, resource_namespace, config)
    key = client_key(issuer, config, account_key)
    cached = ACCOUNT_CLIENTS.get(key)
    if cached is not None:
        return cached
    uri = registered_account_uri(issuer, account_key)
    if uri is None:
        raise IssuerNotReady(
            f"the ACME account of issuer {issuer.name!r} is not registered yet", REASON_NOT_REGISTERED
        )
    client = new_client(config, account_key, http_timeout, account_uri=uri)
    ACCOUNT_CLIENTS.put(key, client)
    return client
