"""cert-manager's additionalOutputFormats: key.der (DER) and tls-combined.pem (CombinedPEM)."""

from __future__ import annotations

from certpilot.api.enums import AdditionalOutputFormatType, PrivateKeyEncoding
from certpilot.pki.keys import encode_private_key_der, parse_private_key

OUTPUT_FILE_NAMES: dict[AdditionalOutputFormatType, str] = {
    AdditionalOutputFormatType.DER: "key.der",
    AdditionalOutputFormatType.COMBINED_PEM: "tls-combined.pem",
}
# PEM labels of PKCS1 / SEC1 keys: key.der keeps the encoding tls.key has, as cert-manager does.
_TRADITIONAL_LABELS = (b"-----BEGIN RSA PRIVATE KEY-----", b"-----BEGIN EC PRIVATE KEY-----")


def key_der(key_pem: bytes) -> bytes:
    """key.der: the DER bytes of tls.key's PEM block (PKCS1/SEC1 or PKCS8, as tls.key is)."""
    encoding = (
        PrivateKeyEncoding.PKCS1
        if key_pem.lstrip().startswith(_TRADITIONAL_LABELS)
        else PrivateKeyEncoding.PKCS8
    )
    return encode_private_key_der(parse_private_key(key_pem), encoding)


def combined_pem(key_pem: bytes, chain_pem: bytes) -> bytes:
    """tls-combined.pem: the private key, then the certificate chain."""
    return key_pem + b"\n" + chain_pem


def additional_outputs(
    formats: list[AdditionalOutputFormatType], key_pem: bytes, chain_pem: bytes
) -> dict[str, bytes]:
    """Secret data keys and values for the requested formats."""
    builders = {
        AdditionalOutputFormatType.DER: lambda: key_der(key_pem),
        AdditionalOutputFormatType.COMBINED_PEM: lambda: combined_pem(key_pem, chain_pem),
    }
    return {OUTPUT_FILE_NAMES[kind]: builders[kind]() for kind in formats}
