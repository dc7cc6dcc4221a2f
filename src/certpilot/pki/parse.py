"""PEM certificate bundles: parse, order into a chain, split off the CA, and describe."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization

from certpilot.api.unparsed_parts import X509_LOAD_ERRORS
from certpilot.pki.errors import ChainError, InvalidPEMError
from certpilot.pki.keys import key_spec_of, supported_public_key
from certpilot.pki.match import is_ca_in
from certpilot.pki.sans import sans_in
from certpilot.pki.usages import usage_name_for_bit, usage_name_for_oid, usages_in

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", re.DOTALL)
_CERTIFICATE = b"CERTIFICATE"


def parse_certificates(pem: bytes, what: str = "certificate bundle") -> list[x509.Certificate]:
    """Every certificate in a PEM bundle, in order. `what` names the input in errors
    (e.g. "tls.crt of Secret ns/name"); block contents are never quoted."""
    blocks = list(_PEM_BLOCK.finditer(pem))
    if not blocks:
        raise InvalidPEMError(f"{what} holds no PEM block: expected '-----BEGIN CERTIFICATE-----' blocks")
    certificates: list[x509.Certificate] = []
    for index, block in enumerate(blocks, start=1):
        label = block.group(1).decode()
        if block.group(1) != _CERTIFICATE:
            raise InvalidPEMError(
                f"{what}: PEM block {index} is a {label!r}, expected only CERTIFICATE blocks"
            )
        try:
            certificates.append(x509.load_pem_x509_certificate(block.group(0)))
        except X509_LOAD_ERRORS:
            raise InvalidPEMError(f"{what}: PEM block {index} is not a valid X.509 certificate") from None
    return certificates


def encode_certificates(certificates: Iterable[x509.Certificate]) -> bytes:
    """A PEM bundle of the certificates, in the order given."""
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certificates)


def is_self_signed(cert: x509.Certificate) -> bool:
    return is_issued_by(cert, cert)


def is_issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    """Whether parent's key signed child (names chain and the signature verifies)."""
    try:
        child.verify_directly_issued_by(parent)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _describe(cert: x509.Certificate) -> str:
    return repr(cert.subject.rfc4514_string() or f"serial {cert.serial_number:x}")


def build_chain(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate] = (),
) -> list[x509.Certificate]:
    """leaf followed by each issuer in turn, up to a self-signed root (taken from intermediates or
    roots) or the last issuer available. Every intermediate must belong to the chain; unused roots
    are fine (they are a trust store)."""
    pool = [*intermediates, *roots]
    chain = [leaf]
    while not is_self_signed(chain[-1]):
        issuer = next((cert for cert in pool if cert not in chain and is_issued_by(chain[-1], cert)), None)
        if issuer is None:
            break
        chain.append(issuer)
    unused = [cert for cert in intermediates if cert not in chain]
    if unused:
        raise ChainError(
            f"certificate {_describe(unused[0])} is not part of the chain of {_describe(leaf)}: "
            "remove it or add the certificates that link it"
        )
    return chain


def chain_from_bundle(certificates: Sequence[x509.Certificate]) -> list[x509.Certificate]:
    """Order an unordered bundle holding exactly one chain: the leaf is the one certificate that
    issued none of the others."""
    if not certificates:
        raise ChainError("the certificate bundle is empty")
    unique = list(dict.fromkeys(certificates))
    leaves = [
        cert
        for cert in unique
        if not any(other is not cert and is_issued_by(other, cert) for other in unique)
    ]
    if len(leaves) != 1:
        raise ChainError(
            f"the bundle holds {len(leaves)} unrelated chains (leaves: "
            f"{', '.join(_describe(cert) for cert in leaves)}): keep exactly one chain"
        )
    return build_chain(leaves[0], [cert for cert in unique if cert is not leaves[0]])


def split_ca(chain: Sequence[x509.Certificate]) -> tuple[list[x509.Certificate], x509.Certificate]:
    """(certificates for tls.crt, certificate for ca.crt), as cert-manager splits a chain: a
    self-signed root at the end becomes the CA and leaves the chain (unless it is the only
    certificate); otherwise the topmost certificate is the CA and stays in the chain."""
    if not chain:
        raise ChainError("the certificate chain is empty")
    top = chain[-1]
    if len(chain) > 1 and is_self_signed(top):
        return list(chain[:-1]), top
    return list(chain), top


def _hex_colons(data: bytes) -> str:
    return ":".join(f"{byte:02X}" for byte in data)


def decode_certificate_details(cert: x509.Certificate) -> dict[str, object]:
    """What `inspect secret` / `status certificate` show: plain JSON-friendly values."""
    sans = sans_in(cert.extensions)
    usages = usages_in(cert.extensions)
    key_spec = key_spec_of(supported_public_key(cert.public_key()))
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serialNumber": _hex_colons(
            cert.serial_number.to_bytes((cert.serial_number.bit_length() + 7) // 8 or 1)
        ),
        "notBefore": cert.not_valid_before_utc.isoformat(),
        "notAfter": cert.not_valid_after_utc.isoformat(),
        "dnsNames": list(sans.dns_names),
        "ipAddresses": list(sans.ip_addresses),
        "uris": list(sans.uris),
        "emailAddresses": list(sans.email_addresses),
        "otherNames": [f"{oid}={value}" for oid, value in sans.other_names],
        "isCA": is_ca_in(cert.extensions),
        "keyAlgorithm": key_spec.algorithm.value,
        "keySize": key_spec.size,
        "keyUsages": sorted(usage_name_for_bit(bit) for bit in usages.key_usage),
        "extendedKeyUsages": sorted(usage_name_for_oid(oid) for oid in usages.extended_key_usage),
        "signatureAlgorithm": cert.signature_algorithm_oid._name,
        "fingerprintSHA256": _hex_colons(cert.fingerprint(hashes.SHA256())),
        "fingerprintSHA1": _hex_colons(cert.fingerprint(hashes.SHA1())),  # noqa: S303 - display only, as openssl shows it
    }
