"""cert-manager's defaults, read through api.defaults while the stored object stays as written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from certpilot.api import defaults
from certpilot.api.certificate import Certificate, CertificatePrivateKey, CertificateSpec
from certpilot.api.common import IssuerReference
from certpilot.api.enums import KeyUsage, PrivateKeyAlgorithm, PrivateKeyEncoding, RotationPolicy
from certpilot.api.loader import load_manifests

MINIMAL = """
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: web
spec:
  secretName: web-tls
  issuerRef:
    name: ca
  dnsNames: [web.example.com]
"""


def _spec(**fields: object) -> CertificateSpec:
    return CertificateSpec.model_validate({"secretName": "s", "issuerRef": {"name": "ca"}, **fields})


def test_minimal_certificate_gets_cert_manager_defaults() -> None:
    cert = load_manifests(MINIMAL, "minimal.yaml")[0]
    assert isinstance(cert, Certificate)
    spec = cert.spec
    assert defaults.issuer_kind(spec.issuer_ref) == "Issuer"
    assert defaults.issuer_group(spec.issuer_ref) == "cert-manager.io"
    assert defaults.private_key_algorithm(spec.private_key) is PrivateKeyAlgorithm.RSA
    assert defaults.private_key_size(spec.private_key) == 2048
    assert defaults.private_key_encoding(spec.private_key) is PrivateKeyEncoding.PKCS1
    assert defaults.rotation_policy(spec.private_key) is RotationPolicy.ALWAYS
    assert defaults.usages(spec) == [KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_ENCIPHERMENT]
    assert defaults.duration(spec) == timedelta(days=90)
    assert defaults.renew_before(spec) is None
    assert defaults.revision_history_limit(spec) == 1
    assert defaults.encode_usages_in_request(spec) is True
    assert defaults.is_ca(spec) is False


def test_defaults_do_not_change_the_stored_object() -> None:
    cert = load_manifests(MINIMAL, "minimal.yaml")[0]
    spec = cert.to_dict()["spec"]
    assert set(spec) == {"secretName", "issuerRef", "dnsNames"}
    assert spec["issuerRef"] == {"name": "ca"}
    assert cert.metadata.namespace == "default"


@pytest.mark.parametrize(
    ("algorithm", "size"),
    [(PrivateKeyAlgorithm.RSA, 2048), (PrivateKeyAlgorithm.ECDSA, 256), (PrivateKeyAlgorithm.ED25519, None)],
)
def test_key_size_default_depends_on_algorithm(algorithm: PrivateKeyAlgorithm, size: int | None) -> None:
    assert defaults.private_key_size(CertificatePrivateKey(algorithm=algorithm)) == size


def test_user_values_win_over_defaults() -> None:
    key = CertificatePrivateKey(
        algorithm=PrivateKeyAlgorithm.ECDSA,
        size=384,
        encoding=PrivateKeyEncoding.PKCS8,
        rotation_policy=RotationPolicy.NEVER,
    )
    spec = _spec(
        duration="24h",
        renewBefore="8h",
        usages=["server auth"],
        revisionHistoryLimit=5,
        encodeUsagesInRequest=False,
        isCA=True,
    )
    assert defaults.private_key_size(key) == 384
    assert defaults.private_key_encoding(key) is PrivateKeyEncoding.PKCS8
    assert defaults.rotation_policy(key) is RotationPolicy.NEVER
    assert defaults.duration(spec) == timedelta(hours=24)
    assert defaults.renew_before(spec) == timedelta(hours=8)
    assert defaults.usages(spec) == [KeyUsage.SERVER_AUTH]
    assert defaults.revision_history_limit(spec) == 5
    assert defaults.encode_usages_in_request(spec) is False
    assert defaults.is_ca(spec) is True
    ref = IssuerReference(name="x", kind="ClusterIssuer", group="example.com")
    assert (defaults.issuer_kind(ref), defaults.issuer_group(ref)) == ("ClusterIssuer", "example.com")


def test_cluster_scoped_kinds_drop_a_namespace() -> None:
    text = MINIMAL.replace("kind: Certificate", "kind: ClusterIssuer").split("spec:")[0]
    issuer = load_manifests(
        text.replace("name: web", "name: web\n  namespace: x") + "spec: {selfSigned: {}}", "c"
    )[0]
    assert issuer.metadata.namespace is None
    assert issuer.key == "web"
