"""Requests, issuers and CA Secrets for the CertificateRequest controller tests (ECDSA P-256)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.serialization import Encoding

from certpilot.api.certificate import CertificateSpec
from certpilot.api.certificaterequest import (
    CertificateRequest,
    CertificateRequestSpec,
    CertificateRequestStatus,
)
from certpilot.api.common import IssuerReference
from certpilot.api.conditions import set_condition
from certpilot.api.core import Secret
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.api.issuer import CAIssuer, ClusterIssuer, Issuer, IssuerSpec, IssuerStatus, SelfSignedIssuer
from certpilot.api.meta import ObjectMeta
from certpilot.pki.csr import build_csr, csr_to_pem
from certpilot.pki.keys import KeySpec, PrivateKey, encode_private_key, generate_private_key
from certpilot.pki.sign import sign_certificate

NOW = datetime(2030, 1, 1, tzinfo=UTC)
NAMESPACE = "default"


def new_key() -> PrivateKey:
    return generate_private_key(KeySpec(PrivateKeyAlgorithm.ECDSA, 256))


def csr_pem(key: PrivateKey, common_name: str = "app.example.com") -> bytes:
    spec = CertificateSpec(
        secret_name="unused", issuer_ref=IssuerReference(name="unused"), common_name=common_name
    )
    return csr_to_pem(build_csr(spec, key))


def request(
    name: str = "app-1",
    *,
    issuer: str = "ca",
    kind: str | None = None,
    group: str | None = None,
    key: PrivateKey | None = None,
    conditions: dict[str, tuple[str, str]] | None = None,
) -> CertificateRequest:
    """conditions: type -> (status, reason)."""
    cr = CertificateRequest(
        metadata=ObjectMeta(name=name, namespace=NAMESPACE),
        spec=CertificateRequestSpec(
            issuer_ref=IssuerReference(name=issuer, kind=kind, group=group),
            request=base64.b64encode(csr_pem(key or new_key())).decode(),
        ),
    )
    if conditions:
        listed = None
        for type_, (status, reason) in conditions.items():
            listed = set_condition(listed, type_, status, reason, "", NOW)
        cr.status = CertificateRequestStatus(conditions=listed)
    return cr


def ca_issuer(name: str = "ca", secret_name: str = "ca-key-pair", ready: bool | None = None) -> Issuer:
    issuer = Issuer(
        metadata=ObjectMeta(name=name, namespace=NAMESPACE),
        spec=IssuerSpec(ca=CAIssuer(secret_name=secret_name)),
    )
    if ready is not None:
        issuer.status = IssuerStatus(
            conditions=set_condition(None, "Ready", "True" if ready else "False", "Test", "", NOW)
        )
    return issuer


def cluster_ca_issuer(name: str = "cluster-ca", secret_name: str = "ca-key-pair") -> ClusterIssuer:
    return ClusterIssuer(
        metadata=ObjectMeta(name=name), spec=IssuerSpec(ca=CAIssuer(secret_name=secret_name))
    )


def self_signed_issuer(name: str = "selfsigned") -> Issuer:
    return Issuer(
        metadata=ObjectMeta(name=name, namespace=NAMESPACE), spec=IssuerSpec(self_signed=SelfSignedIssuer())
    )


def ca_secret(name: str = "ca-key-pair", namespace: str = NAMESPACE) -> Secret:
    key = new_key()
    spec = CertificateSpec(
        secret_name="unused", issuer_ref=IssuerReference(name="unused"), common_name="Test CA", is_ca=True
    )
    root = sign_certificate(
        build_csr(spec, key),
        issuer_cert=None,
        issuer_key=key,
        duration=timedelta(days=3650),
        is_ca=True,
        usages=None,
        now=NOW,
    )
    secret = Secret(metadata=ObjectMeta(name=name, namespace=namespace), type="kubernetes.io/tls")
    secret.set_data("tls.crt", root.public_bytes(Encoding.PEM))
    secret.set_data("tls.key", encode_private_key(key))
    return secret
