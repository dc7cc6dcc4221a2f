"""Finding a Certificate's related objects in the informer cache, and mapping them back to it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from certpilot.api import annotations as ann
from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.core import Secret
from certpilot.api.meta import OwnerReference, Resource
from certpilot.runtime.context import CacheReader, ControllerContext
from certpilot.runtime.controller import ObjectKey
from certpilot.runtime.field_index import FieldIndex
from certpilot.runtime.owners import owner_keys

# cert-manager's label on the temporary Secret holding the key of the next revision.
NEXT_PRIVATE_KEY_LABEL = "cert-manager.io/next-private-key"


def owner_reference(cert: Certificate) -> OwnerReference:
    return OwnerReference(
        api_version=cert.api_version,
        kind=cert.kind,
        name=cert.name,
        uid=cert.metadata.uid or "",
        controller=True,
        block_owner_deletion=True,
    )


def request_revision(request: CertificateRequest) -> int | None:
    """The certificate-revision annotation of a request, None when absent or not a number."""
    text = (request.metadata.annotations or {}).get(ann.CERTIFICATE_REVISION)
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def owned_requests(cache: CacheReader, cert: Certificate) -> list[CertificateRequest]:
    return cache.owned_by(CertificateRequest, cert.metadata.uid or "")


def requests_for_revision(cache: CacheReader, cert: Certificate, revision: int) -> list[CertificateRequest]:
    return [r for r in owned_requests(cache, cert) if request_revision(r) == revision]


def current_revision(cert: Certificate) -> int:
    return (cert.status.revision if cert.status else None) or 0


def current_request(cache: CacheReader, cert: Certificate) -> CertificateRequest | None:
    """The request that produced the current certificate, when it is still kept."""
    revision = current_revision(cert)
    if revision == 0:
        return None
    found = requests_for_revision(cache, cert, revision)
    return found[0] if found else None


def next_request(cache: CacheReader, cert: Certificate) -> CertificateRequest | None:
    found = requests_for_revision(cache, cert, current_revision(cert) + 1)
    return found[0] if found else None


def next_key_secrets(cache: CacheReader, cert: Certificate) -> list[Secret]:
    return [
        s
        for s in cache.owned_by(Secret, cert.metadata.uid or "")
        if (s.metadata.labels or {}).get(NEXT_PRIVATE_KEY_LABEL) == "true"
    ]


def certificate_secret(cache: CacheReader, cert: Certificate) -> Secret | None:
    return cache.get(Secret, cert.spec.secret_name, cert.namespace)


def issued_before(cert: Certificate) -> bool:
    return current_revision(cert) > 0


async def secret_of_issued(ctx: ControllerContext, cert: Certificate) -> Secret | None:
    """The Secret of a Certificate; for one issued before, also one the cache does not hold (on
    Kubernetes an unlabelled Secret, issued before certpilot took over). A new Certificate's
    Secret is looked for in the cache only: reading the store for each would cost every issuance
    a round trip, and an issuance fills in a Secret it finds already there."""
    if not issued_before(cert):
        return certificate_secret(ctx.cache, cert)
    return await ctx.lookup(Secret, cert.spec.secret_name, cert.namespace)


# Keys of the Certificates that own an object (requests, next-key Secrets).
owner_certificate_keys = owner_keys(Certificate)


# Certificates by spec.secretName: a Secret event finds its Certificates without scanning them all.
CERTIFICATES_BY_SECRET_NAME: FieldIndex[Certificate] = FieldIndex(
    "spec.secretName", lambda cert: (cert.spec.secret_name,)
)


def secret_to_certificate_keys(cache: CacheReader) -> Callable[[Resource], Iterable[ObjectKey]]:
    """Maps a Secret to the Certificates that write it (spec.secretName) or own it (next keys)."""
    written_by = secret_name_to_certificate_keys(cache)

    def to_keys(secret: Resource) -> Iterable[ObjectKey]:
        return sorted({*owner_certificate_keys(secret), *written_by(secret)})

    return to_keys


def secret_name_to_certificate_keys(cache: CacheReader) -> Callable[[Resource], Iterable[ObjectKey]]:
    """Maps a Secret to the Certificates whose spec.secretName it is (not the next-key Secrets
    they own: for controllers that read only the issued Secret)."""

    def to_keys(secret: Resource) -> Iterable[ObjectKey]:
        return [
            ObjectKey.of(cert)
            for cert in cache.indexed(Certificate, CERTIFICATES_BY_SECRET_NAME, secret.name, secret.namespace)
        ]

    return to_keys
