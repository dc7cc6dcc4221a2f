"""The webhook's own PKI: a CA kept in a Secret, and a short-lived serving certificate it signs.

The apiserver trusts the CA (the webhook configurations' caBundle), so serving certificates rotate
without touching the cluster. Every replica shares the CA through the Secret; the first to start
creates it, and a replica that loses the creation race reads the winner's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from certpilot.api.core import Secret
from certpilot.api.enums import KeyUsage, PrivateKeyAlgorithm
from certpilot.api.meta import ObjectMeta
from certpilot.pki.keys import (
    KeySpec,
    PrivateKey,
    encode_private_key,
    generate_private_key,
    parse_private_key,
)
from certpilot.pki.parse import encode_certificates, parse_certificates
from certpilot.pki.sign import sign_certificate
from certpilot.store.errors import AlreadyExists, NotFound
from certpilot.store.protocol import Store

CA_LIFETIME = timedelta(days=365)
SERVING_LIFETIME = timedelta(days=7)
CA_COMMON_NAME = "certpilot-webhook-ca"
_P256 = KeySpec(PrivateKeyAlgorithm.ECDSA, 256)


class CASecretUnusable(ValueError):
    """The CA Secret exists but holds no usable CA; the message names the Secret and the fix."""


@dataclass(frozen=True)
class KeyPair:
    certificate: x509.Certificate
    key: PrivateKey

    @property
    def certificate_pem(self) -> bytes:
        return encode_certificates([self.certificate])

    @property
    def key_pem(self) -> bytes:
        return encode_private_key(self.key)


def _csr(
    key: PrivateKey, common_name: str, sans: Sequence[x509.GeneralName]
) -> x509.CertificateSigningRequest:
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    return builder.sign(key, hashes.SHA256())


def new_ca(now: datetime, lifetime: timedelta = CA_LIFETIME) -> KeyPair:
    """A self-signed ECDSA P-256 CA."""
    key = generate_private_key(_P256)
    certificate = sign_certificate(
        _csr(key, CA_COMMON_NAME, ()),
        issuer_cert=None,
        issuer_key=key,
        duration=lifetime,
        is_ca=True,
        usages=[KeyUsage.CERT_SIGN, KeyUsage.DIGITAL_SIGNATURE],
        now=now,
    )
    return KeyPair(certificate, key)


def serving_names(hosts: Sequence[str]) -> list[x509.GeneralName]:
    """IP addresses as iPAddress SANs, everything else as dNSName SANs."""
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def issue_serving(
    ca: KeyPair, hosts: Sequence[str], now: datetime, lifetime: timedelta = SERVING_LIFETIME
) -> KeyPair:
    """A serving certificate for `hosts` (DNS names and IP addresses), signed by `ca`."""
    if not hosts:
        raise ValueError("the webhook needs at least one DNS name or IP address to serve")
    key = generate_private_key(_P256)
    certificate = sign_certificate(
        _csr(key, hosts[0], serving_names(hosts)),
        issuer_cert=ca.certificate,
        issuer_key=ca.key,
        duration=lifetime,
        is_ca=False,
        usages=[KeyUsage.SERVER_AUTH, KeyUsage.DIGITAL_SIGNATURE],
        now=now,
    )
    return KeyPair(certificate, key)


def renewal_time(certificate: x509.Certificate) -> datetime:
    """Two thirds into the certificate's lifetime, as cert-manager's default renewBefore."""
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    return start + (end - start) * 2 / 3


def ca_from_secret(secret: Secret) -> KeyPair:
    where = f"Secret {secret.namespace}/{secret.name}"
    cert_pem, key_pem = secret.get_data("tls.crt"), secret.get_data("tls.key")
    if not cert_pem or not key_pem:
        raise CASecretUnusable(f"{where} lacks tls.crt or tls.key: delete it and certpilot creates a new CA")
    try:
        return KeyPair(parse_certificates(cert_pem)[0], parse_private_key(key_pem))
    except ValueError as error:
        raise CASecretUnusable(f"{where} holds no usable CA ({error}): delete it to get a new CA") from None


def ca_secret(namespace: str, name: str, ca: KeyPair) -> Secret:
    secret = Secret(metadata=ObjectMeta(name=name, namespace=namespace), type="kubernetes.io/tls")
    secret.update_data({"tls.crt": ca.certificate_pem, "tls.key": ca.key_pem, "ca.crt": ca.certificate_pem})
    return secret


async def ensure_ca(store: Store, namespace: str, name: str, now: datetime) -> KeyPair:
    """The CA in the Secret namespace/name, created when the Secret is missing. Replacing the CA is
    the user's act (delete the Secret, run `certpilot install` again for the new caBundle): the
    webhook follows a new CA on its next check."""
    try:
        existing = await store.get(Secret, name, namespace)
    except NotFound:
        ca = new_ca(now)
        try:
            await store.create(ca_secret(namespace, name, ca))
        except AlreadyExists:
            return ca_from_secret(await store.get(Secret, name, namespace))
        return ca
    return ca_from_secret(existing)
