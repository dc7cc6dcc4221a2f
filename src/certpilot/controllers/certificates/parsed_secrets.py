"""A Secret's certificate and private key, parsed once per Secret version and shared by the
trigger, readiness, issuing and request manager (each used to parse the same bytes again).

Entries are keyed by the Secret's uid, resourceVersion and data key, so a changed Secret is always
parsed afresh; objects without both (never stored) are parsed every time. The cache is a bounded
LRU of parsed objects only: no PEM bytes are kept, and nothing here is logged or shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from certpilot.api.core import Secret
from certpilot.api.unparsed_parts import X509_LOAD_ERRORS
from certpilot.controllers.certificates.version_memo import MEMO_CAPACITY
from certpilot.pki.errors import PKIError
from certpilot.pki.keys import PrivateKey, parse_private_key
from certpilot.runtime.bounded_memo import BoundedMemo
from certpilot.runtime.object_versions import VersionKey, joined, stored_version


@dataclass(frozen=True)
class ParsedCertificate:
    """The leaf of tls.crt, or why it could not be read."""

    certificate: x509.Certificate | None
    error: str | None


@dataclass(frozen=True)
class ParsedKey:
    """tls.key parsed, or why not (the message never quotes the key)."""

    key: PrivateKey | None
    error: str | None

    def __repr__(self) -> str:
        return f"ParsedKey(key={'<hidden>' if self.key is not None else None}, error={self.error!r})"


def parse_leaf(pem: bytes) -> ParsedCertificate:
    try:
        chain = x509.load_pem_x509_certificates(pem)
    except X509_LOAD_ERRORS:
        return ParsedCertificate(None, "tls.crt is not a PEM certificate bundle")
    return ParsedCertificate(chain[0], None)


def parse_key(pem: bytes) -> ParsedKey:
    try:
        return ParsedKey(parse_private_key(pem), None)
    except PKIError as err:
        return ParsedKey(None, str(err))


_leaves: BoundedMemo[ParsedCertificate] = BoundedMemo(MEMO_CAPACITY)
_keys: BoundedMemo[ParsedKey] = BoundedMemo(MEMO_CAPACITY)


def secret_version(secret: Secret, data_key: str) -> VersionKey | None:
    return joined(stored_version(secret), (data_key,))


def parsed_leaf_of(secret: Secret, data_key: str) -> ParsedCertificate:
    """The leaf certificate of `data_key` (tls.crt), or why it could not be read."""
    return _leaves.get_or_compute(
        secret_version(secret, data_key), lambda: parse_leaf(secret.get_data(data_key) or b"")
    )


def parsed_key_of(secret: Secret, data_key: str) -> ParsedKey:
    """The private key of `data_key` (tls.key), or why it could not be read."""
    return _keys.get_or_compute(
        secret_version(secret, data_key), lambda: parse_key(secret.get_data(data_key) or b"")
    )


def remember_parsed_leaf(secret: Secret, data_key: str, leaf: x509.Certificate) -> None:
    """Records `leaf` as what parsed_leaf_of(secret, data_key) finds: for a Secret this process
    has just written from a chain it parsed (its first certificate), so that readers of that
    version do not parse the same bytes again."""
    _leaves.put(secret_version(secret, data_key), ParsedCertificate(leaf, None))


def remember_parsed_key(secret: Secret, data_key: str, key: PrivateKey) -> None:
    """Records `key` as what parsed_key_of(secret, data_key) finds: for a Secret this process has
    just written with `key` encoded."""
    _keys.put(secret_version(secret, data_key), ParsedKey(key, None))


def forget_all() -> None:
    """Empties the memo (tests)."""
    _leaves.clear()
    _keys.clear()
