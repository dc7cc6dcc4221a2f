"""Java-friendly keystores written beside tls.crt: PKCS#12 (keystore.p12, truststore.p12) and JKS
(keystore.jks, truststore.jks). Passwords come in as bytes and never appear in errors."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from certpilot.api.enums import PKCS12Profile
from certpilot.pki.errors import KeystoreError
from certpilot.pki.keys import PrivateKey

DEFAULT_JKS_ALIAS = "certificate"
JKS_CA_ALIAS = "ca"
# go-pkcs12's iteration count, which cert-manager's profiles use.
_PKCS12_KDF_ROUNDS = 2048


def pkcs12_encryption(
    password: bytes, profile: PKCS12Profile | None
) -> serialization.KeySerializationEncryption:
    """The profile's encryption. LegacyRC2 (cert-manager's default) encrypts certificates with
    RC2-40, which cryptography cannot write: it is written like LegacyDES (3DES, SHA-1 MAC),
    which every reader of LegacyRC2 files (Java 8+, OpenSSL) also opens.

    Modern2026 encrypts keys and certificates as Modern2023 and go-pkcs12's Modern2026 do (PBES2,
    PBKDF2-HMAC-SHA-256, AES-256-CBC). go-pkcs12 then MACs with PBMAC1 (RFC 9579), which
    cryptography cannot write: the MAC is HMAC-SHA-256 with the PKCS#12 KDF, as in Modern2023, which
    OpenSSL 3.0+ and Java 12+ also read (PBMAC1 needs OpenSSL 3.4+ or Java 26+)."""
    builder = serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(_PKCS12_KDF_ROUNDS)
    if profile in (PKCS12Profile.MODERN_2023, PKCS12Profile.MODERN_2026):
        builder = builder.key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC).hmac_hash(hashes.SHA256())
    else:
        builder = builder.key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC).hmac_hash(
            hashes.SHA1()  # noqa: S303 - the legacy profiles' MAC, which old Java readers require
        )
    return builder.build(password)


def _extra_cas(chain: Sequence[x509.Certificate], ca: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    return list(dict.fromkeys([*chain[1:], *ca]))


def pkcs12_keystore(
    key: PrivateKey,
    chain: Sequence[x509.Certificate],
    ca: Sequence[x509.Certificate],
    password: bytes,
    profile: PKCS12Profile | None = None,
) -> bytes:
    """keystore.p12: the key, the leaf (chain[0]), and the rest of the chain plus the CA."""
    if not chain:
        raise KeystoreError("cannot build keystore.p12 without a certificate")
    try:
        return pkcs12.serialize_key_and_certificates(
            None, key, chain[0], _extra_cas(chain, ca), pkcs12_encryption(password, profile)
        )
    except ValueError:
        raise KeystoreError("cannot build keystore.p12: set a non-empty keystore password") from None


def pkcs12_truststore(
    ca: Sequence[x509.Certificate], password: bytes, profile: PKCS12Profile | None = None
) -> bytes:
    """truststore.p12: the CA certificates only, marked trusted for Java."""
    if not ca:
        raise KeystoreError("cannot build truststore.p12: the issuer returned no CA certificate")
    certificates = [pkcs12.PKCS12Certificate(cert, JKS_CA_ALIAS.encode()) for cert in ca]
    try:
        return pkcs12.serialize_java_truststore(certificates, pkcs12_encryption(password, profile))
    except ValueError:
        raise KeystoreError("cannot build truststore.p12: set a non-empty truststore password") from None


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


# pyjks (with its ASN.1 and cipher modules, 7 MB) is imported by the functions that build JKS
# keystores, so only a daemon that writes one loads it.


def _jks_bytes(entries: list[object], password: bytes) -> bytes:
    import jks

    try:
        store = jks.KeyStore.new("jks", entries)
        return bytes(store.saves(password.decode()))
    except UnicodeDecodeError:
        raise KeystoreError("the JKS password must be UTF-8 text") from None


def jks_keystore(
    key: PrivateKey,
    chain: Sequence[x509.Certificate],
    ca: Sequence[x509.Certificate],
    password: bytes,
    alias: str | None = None,
) -> bytes:
    """keystore.jks: a PrivateKeyEntry (alias default "certificate") holding the chain, and the
    CA as a trusted entry "ca", as cert-manager writes it."""
    if not chain:
        raise KeystoreError("cannot build keystore.jks without a certificate")
    import jks

    key_der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    entries: list[object] = [
        jks.PrivateKeyEntry.new(alias or DEFAULT_JKS_ALIAS, [_der(cert) for cert in chain], key_der)
    ]
    if ca:
        entries.append(jks.TrustedCertEntry.new(JKS_CA_ALIAS, _der(ca[0])))
    return _jks_bytes(entries, password)


def jks_truststore(ca: Sequence[x509.Certificate], password: bytes) -> bytes:
    """truststore.jks: the CA as trusted entry "ca" (then "ca-1", "ca-2"... for a bundle)."""
    if not ca:
        raise KeystoreError("cannot build truststore.jks: the issuer returned no CA certificate")
    import jks

    entries: list[object] = [
        jks.TrustedCertEntry.new(JKS_CA_ALIAS if index == 0 else f"{JKS_CA_ALIAS}-{index}", _der(cert))
        for index, cert in enumerate(ca)
    ]
    return _jks_bytes(entries, password)
