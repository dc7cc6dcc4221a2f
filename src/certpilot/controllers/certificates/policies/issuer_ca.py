"""The CA certificate a Certificate's CA issuer signs with now, and the watches that bring its
Certificates back when that changes (a CA rotation, cert-manager #9076).

Read from the informer cache: on Kubernetes that holds only the Secrets certpilot manages (the
controller.cert-manager.io/fao label), so a CA Secret made by hand is not seen rotating there."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cryptography import x509

from certpilot.api.certificate import Certificate
from certpilot.api.core import TLS_CERT_KEY, Secret
from certpilot.api.issuer import AnyIssuer, ClusterIssuer, Issuer
from certpilot.api.meta import Resource
from certpilot.controllers.certificates.memos import CertificateMemos
from certpilot.controllers.issuers.resolve import lookup_issuer, refers_to, resource_namespace
from certpilot.controllers.issuers.secret_refs import issuers_referencing
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.context import CacheReader
from certpilot.runtime.controller import ObjectKey, Watch


def issuer_ca_certificate(
    cache: CacheReader, cert: Certificate, options: ControllerOptions, memos: CertificateMemos
) -> x509.Certificate | None:
    """The CA issuer's current CA certificate; None for other issuers or while it cannot be read
    (the issuer's own readiness says why)."""
    issuer = lookup_issuer(cache, cert.spec.issuer_ref, cert.namespace)
    if issuer is None or issuer.spec.ca is None:
        return None
    secret = cache.get(Secret, issuer.spec.ca.secret_name, resource_namespace(issuer, options))
    return memos.parsed_leaf(secret, TLS_CERT_KEY).certificate if secret is not None else None


def _certificates_of(cache: CacheReader, issuers: Iterable[AnyIssuer]) -> list[ObjectKey]:
    """Each Certificate of these issuers once, in the cache's order (no sort: an issuer of 10,000
    Certificates maps its every change, and the start's)."""
    keys: dict[ObjectKey, None] = {}
    for issuer in issuers:
        namespace = issuer.namespace if issuer.NAMESPACED else None
        for cert in cache.list(Certificate, namespace):
            if refers_to(cert.spec.issuer_ref, cert.namespace, issuer):
                keys[ObjectKey.of(cert)] = None
    return list(keys)


def ca_secret_to_certificate_keys(
    cache: CacheReader, options: ControllerOptions
) -> Callable[[Resource], Iterable[ObjectKey]]:
    """A CA Secret's change wakes the Certificates of every CA issuer signing with it."""

    def signs_with(issuer: AnyIssuer, secret: Resource) -> bool:
        return issuer.spec.ca is not None and issuer.spec.ca.secret_name == secret.name

    def to_keys(secret: Resource) -> Iterable[ObjectKey]:
        issuers = [
            i
            for i in issuers_referencing(cache, (Issuer, ClusterIssuer), secret, options)
            if signs_with(i, secret)
        ]
        return _certificates_of(cache, issuers) if issuers else []

    return to_keys


def issuer_to_certificate_keys(cache: CacheReader) -> Callable[[Resource], Iterable[ObjectKey]]:
    def to_keys(issuer: Resource) -> Iterable[ObjectKey]:
        if not isinstance(issuer, Issuer | ClusterIssuer):
            raise TypeError(f"issuer_to_certificate_keys watches issuers, got a {issuer.KIND}")
        return _certificates_of(cache, [issuer])

    return to_keys


def ca_changed(old: AnyIssuer, new: AnyIssuer) -> bool:
    """Only a CA issuer's spec.ca matters here: status writes and other issuer types do not."""
    return old.spec.ca != new.spec.ca


def issuer_ca_watches(cache: CacheReader, options: ControllerOptions) -> list[Watch]:
    """What a controller reading issuer_ca_certificate watches besides its own objects."""
    return [
        Watch(Secret, ca_secret_to_certificate_keys(cache, options)),
        Watch(Issuer, issuer_to_certificate_keys(cache), ca_changed),
        Watch(ClusterIssuer, issuer_to_certificate_keys(cache), ca_changed),
    ]
