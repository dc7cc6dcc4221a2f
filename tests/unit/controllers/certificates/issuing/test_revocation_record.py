"""Which certificate a renewal superseded, which issuer signed it, and the record kept on the
Certificate after a revocation."""

from __future__ import annotations

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from certpilot.api import annotations as keys
from certpilot.api.core import Secret
from certpilot.api.meta import ObjectMeta
from certpilot.controllers.certificates.issuing.revocation import (
    issuer_ref_of_secret,
    revokes_superseded,
    superseded_certificate,
    with_revocation_record,
)
from certpilot.testing import builders

NAME = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "t")])


def leaf(serial: int) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(NAME)
        .issuer_name(NAME)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def secret_holding(*chain: x509.Certificate, annotations: dict[str, str] | None = None) -> Secret:
    secret = Secret(metadata=ObjectMeta(name="s", namespace="default", annotations=annotations))
    secret.set_data("tls.crt", b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))
    return secret


def test_the_superseded_certificate_is_the_previous_leaf_alone() -> None:
    old, intermediate, new = leaf(1), leaf(2), leaf(3)
    pem = superseded_certificate(secret_holding(old, intermediate), new)
    assert pem == old.public_bytes(serialization.Encoding.PEM)
    assert superseded_certificate(secret_holding(new), new) is None
    assert superseded_certificate(None, new) is None


def test_the_signing_issuer_comes_from_the_secret_annotations() -> None:
    secret = secret_holding(
        leaf(1), annotations={keys.ISSUER_NAME: "backup", keys.ISSUER_KIND: "ClusterIssuer"}
    )
    ref = issuer_ref_of_secret(secret)
    assert ref is not None and (ref.name, ref.kind) == ("backup", "ClusterIssuer")
    assert issuer_ref_of_secret(secret_holding(leaf(1))) is None


def test_the_record_adds_annotations_without_touching_the_original() -> None:
    cert = builders.certificate("web", issuer="acme")
    cert.metadata.annotations = {keys.REVOKE_SUPERSEDED: "True"}
    assert revokes_superseded(cert)
    recorded = with_revocation_record(cert, "1f", "superseded")
    assert recorded.metadata.annotations == {
        keys.REVOKE_SUPERSEDED: "True",
        keys.REVOKED_SERIAL: "1f",
        keys.REVOCATION_REASON: "superseded",
    }
    assert cert.metadata.annotations == {keys.REVOKE_SUPERSEDED: "True"}
    assert not revokes_superseded(builders.certificate("plain"))
