"""Reading the Secrets an issuer references (CA key pairs, private keys) with errors that say
which Secret and key is wrong and never echo its contents."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from certpilot.api.core import TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY, Secret
from certpilot.api.unparsed_parts import X509_LOAD_ERRORS, unparsed_part
from certpilot.pki.errors import PKIError
from certpilot.pki.keys import PrivateKey
from certpilot.pki.keys import parse_private_key as parse_pem_private_key
from certpilot.store.errors import NotFound
from certpilot.store.protocol import Store


class SecretProblem(Exception):
    """A referenced Secret cannot be used. The message names the Secret and key, never the data."""


class SecretMissing(SecretProblem):
    """The Secret does not exist."""


class SecretKeyMissing(SecretProblem):
    """The Secret exists but lacks a data key (or it is empty)."""


class SecretDataInvalid(SecretProblem):
    """A data key holds something that does not parse as what it should be."""


@dataclass(frozen=True)
class KeyPair:
    """certificates: tls.crt in order (the CA first, then its own chain); key: tls.key."""

    certificates: list[x509.Certificate]
    key: PrivateKey


async def get_secret(store: Store, namespace: str, name: str) -> Secret:
    try:
        return await store.get(Secret, name, namespace)
    except NotFound:
        raise SecretMissing(f'secret "{namespace}/{name}" not found') from None


def secret_value(secret: Secret, key: str) -> bytes:
    value = secret.get_data(key)
    if not value:
        raise SecretKeyMissing(f'secret "{secret.namespace}/{secret.name}" has no data key "{key}"')
    return value


def parse_private_key(data: bytes, where: str) -> PrivateKey:
    """`where` names the source (`secret "ns/name" key "tls.key"`) for the error message."""
    try:
        return parse_pem_private_key(data)
    except PKIError as e:
        raise SecretDataInvalid(f"{where}: {e}") from None


def parse_certificates(data: bytes, where: str) -> list[x509.Certificate]:
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except X509_LOAD_ERRORS:
        raise SecretDataInvalid(f"{where} does not hold PEM certificates") from None
    for number, certificate in enumerate(certificates, start=1):
        part = unparsed_part(certificate)
        if part is not None:
            raise SecretDataInvalid(f"{where}: the {part} of certificate {number} does not parse")
    return certificates


async def read_private_key(
    store: Store, namespace: str, name: str, key: str = TLS_PRIVATE_KEY_KEY
) -> PrivateKey:
    secret = await get_secret(store, namespace, name)
    return parse_private_key(secret_value(secret, key), f'secret "{namespace}/{name}" key "{key}"')


async def read_key_pair(store: Store, namespace: str, name: str) -> KeyPair:
    """tls.crt + tls.key of a kubernetes.io/tls-style Secret."""
    return key_pair_of(await get_secret(store, namespace, name), f'secret "{namespace}/{name}"')


def key_pair_of(secret: Secret, where: str) -> KeyPair:
    """`where` names the Secret (`secret "ns/name"`) for the error messages."""
    certificates = parse_certificates(secret_value(secret, TLS_CERT_KEY), f'{where} key "{TLS_CERT_KEY}"')
    key = parse_private_key(secret_value(secret, TLS_PRIVATE_KEY_KEY), f'{where} key "{TLS_PRIVATE_KEY_KEY}"')
    return KeyPair(certificates=certificates, key=key)
