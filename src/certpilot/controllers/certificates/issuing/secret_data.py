"""The Secret a Certificate's issued key pair is written to: data, labels and annotations.

Pure: given the Certificate, the key pair, and the keystore passwords, what the Secret should hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cryptography import x509

from certpilot.api import annotations as ann
from certpilot.api.certificate import Certificate
from certpilot.api.common import IssuerReference
from certpilot.api.core import CA_CERT_KEY, TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY, TLS_SECRET_TYPE, Secret
from certpilot.api.defaults import issuer_group, issuer_kind, private_key_encoding
from certpilot.api.meta import ObjectMeta
from certpilot.controllers.certificates.lookups import owner_reference
from certpilot.pki import keystores, outputs
from certpilot.pki.keys import PrivateKey, encode_private_key
from certpilot.pki.parse import parse_certificates
from certpilot.pki.secret_annotations import certificate_secret_annotations

PKCS12_KEYSTORE_KEY = "keystore.p12"
PKCS12_TRUSTSTORE_KEY = "truststore.p12"
JKS_KEYSTORE_KEY = "keystore.jks"
JKS_TRUSTSTORE_KEY = "truststore.jks"
DER_KEY_KEY = "key.der"
COMBINED_PEM_KEY = "tls-combined.pem"
KEYSTORE_KEYS = (PKCS12_KEYSTORE_KEY, PKCS12_TRUSTSTORE_KEY, JKS_KEYSTORE_KEY, JKS_TRUSTSTORE_KEY)
ADDITIONAL_OUTPUT_KEYS = (DER_KEY_KEY, COMBINED_PEM_KEY)
# Keys this controller owns in the Secret; others (added by users) are left alone.
MANAGED_DATA_KEYS = (TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY, CA_CERT_KEY, *KEYSTORE_KEYS, *ADDITIONAL_OUTPUT_KEYS)
_MANAGED_DATA_KEY_SET = frozenset(MANAGED_DATA_KEYS)


@dataclass(frozen=True)
class KeyPair:
    """chain_pem: leaf then intermediates (tls.crt). ca_pem: the CA when known, else empty."""

    key: PrivateKey
    chain_pem: bytes
    ca_pem: bytes = b""


@dataclass(frozen=True)
class KeystorePasswords:
    """Resolved keystore passwords (from passwordSecretRef or the literal field); repr hides them."""

    pkcs12: bytes | None = None
    jks: bytes | None = None

    def __repr__(self) -> str:
        return "KeystorePasswords(...)"


def wants_pkcs12(cert: Certificate) -> bool:
    ks = cert.spec.keystores
    return bool(ks and ks.pkcs12 and ks.pkcs12.create)


def wants_jks(cert: Certificate) -> bool:
    ks = cert.spec.keystores
    return bool(ks and ks.jks and ks.jks.create)


def keystore_data(cert: Certificate, pair: KeyPair, passwords: KeystorePasswords) -> dict[str, bytes]:
    if not (wants_pkcs12(cert) or wants_jks(cert)):
        # Most Certificates have no keystores: no need to parse the chain.
        return {}
    chain = parse_certificates(pair.chain_pem, "the issued certificate chain")
    ca = parse_certificates(pair.ca_pem, "the issued CA") if pair.ca_pem else []
    data: dict[str, bytes] = {}
    pkcs12 = cert.spec.keystores.pkcs12 if cert.spec.keystores else None
    if pkcs12 is not None and pkcs12.create and passwords.pkcs12 is not None:
        data[PKCS12_KEYSTORE_KEY] = keystores.pkcs12_keystore(
            pair.key, chain, ca, passwords.pkcs12, pkcs12.profile
        )
        if ca:
            data[PKCS12_TRUSTSTORE_KEY] = keystores.pkcs12_truststore(ca, passwords.pkcs12, pkcs12.profile)
    jks = cert.spec.keystores.jks if cert.spec.keystores else None
    if jks is not None and jks.create and passwords.jks is not None:
        data[JKS_KEYSTORE_KEY] = keystores.jks_keystore(pair.key, chain, ca, passwords.jks, jks.alias)
        if ca:
            data[JKS_TRUSTSTORE_KEY] = keystores.jks_truststore(ca, passwords.jks)
    return data


def output_format_data(cert: Certificate, key_pem: bytes, chain_pem: bytes) -> dict[str, bytes]:
    formats = [f.type for f in cert.spec.additional_output_formats or ()]
    return outputs.additional_outputs(formats, key_pem, chain_pem)


def secret_data(cert: Certificate, pair: KeyPair, passwords: KeystorePasswords) -> dict[str, bytes]:
    key_pem = encode_private_key(pair.key, private_key_encoding(cert.spec.private_key))
    data = {TLS_CERT_KEY: pair.chain_pem, TLS_PRIVATE_KEY_KEY: key_pem}
    if pair.ca_pem:
        data[CA_CERT_KEY] = pair.ca_pem
    data.update(output_format_data(cert, key_pem, pair.chain_pem))
    data.update(keystore_data(cert, pair, passwords))
    return data


def secret_annotations(
    cert: Certificate, leaf: x509.Certificate, issuer_ref: IssuerReference | None = None
) -> dict[str, str]:
    """cert-manager's annotations: which Certificate and issuer (`issuer_ref` when a fallback
    issuer signed), and the certificate's details."""
    ref = issuer_ref or cert.spec.issuer_ref
    template = cert.spec.secret_template
    return {
        **(template.annotations or {} if template else {}),
        **certificate_secret_annotations(leaf),
        ann.CERTIFICATE_NAME: cert.name,
        ann.ISSUER_NAME: ref.name,
        ann.ISSUER_KIND: issuer_kind(ref),
        ann.ISSUER_GROUP: issuer_group(ref),
    }


def secret_labels(cert: Certificate) -> dict[str, str]:
    template = cert.spec.secret_template
    return {**(template.labels or {} if template else {}), ann.PART_OF_LABEL: "true"}


def desired_secret(
    cert: Certificate,
    existing: Secret | None,
    pair: KeyPair,
    passwords: KeystorePasswords,
    *,
    owner_ref: bool,
    reuse_keystores: bool,
    leaf: x509.Certificate | None = None,
    issuer_ref: IssuerReference | None = None,
) -> Secret:
    """The Secret to write: existing's foreign labels, annotations and data keys are kept; ours
    are set from the key pair and the spec. reuse_keystores (a sync of the same key pair) keeps
    keystores already present: PKCS#12 and JKS encryption is salted, so rebuilding them would
    change them on every sync. leaf: the chain's first certificate, when the caller has parsed it.

    The existing metadata is copied shallowly with fresh labels, annotations and ownerReferences
    (the parts set here); the cache's Secret is never modified."""
    if leaf is None:
        leaf = parse_certificates(pair.chain_pem, "the issued certificate chain")[0]
    base = existing.metadata if existing else ObjectMeta(name=cert.spec.secret_name, namespace=cert.namespace)
    foreign = [r for r in base.owner_references or () if r.uid != cert.metadata.uid]
    meta = base.model_copy(
        update={
            "labels": {**(base.labels or {}), **secret_labels(cert)},
            "annotations": {
                **_without_cert_manager_keys(base.annotations or {}),
                **secret_annotations(cert, leaf, issuer_ref),
            },
            "owner_references": [*foreign, owner_reference(cert)] if owner_ref else (foreign or None),
            "finalizers": list(base.finalizers) if base.finalizers is not None else None,
        }
    )
    data = secret_data(cert, pair, passwords)
    if reuse_keystores and existing is not None:
        for key in KEYSTORE_KEYS:
            old = existing.get_data(key)
            if key in data and old is not None:
                data[key] = old
    kept = {
        k: v for k, v in ((existing.data or {}) if existing else {}).items() if k not in _MANAGED_DATA_KEY_SET
    }
    secret = Secret(metadata=meta, type=TLS_SECRET_TYPE, data=kept)
    secret.update_data(data)
    return secret


def _without_cert_manager_keys(annotations: Mapping[str, str]) -> dict[str, str]:
    """Drops the certificate-details annotations so a removed SAN type does not linger."""
    return {k: v for k, v in annotations.items() if not k.startswith(ann.RESERVED_PREFIX)}
