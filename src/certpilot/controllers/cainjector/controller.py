"""One controller per injectable kind: read the target and the source its annotation names, decide
the CA (sources.py), merge it into the target's caBundle fields (bundle.py), write if changed.

Rotation: a change of the source Secret (or of the Certificate's spec.secretName) re-queues every
target naming it, found through indexes on the annotations. Secrets certpilot does not manage are
not cached on Kubernetes (no watch sees them change), so targets injected from one are re-read on
a timer instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from certpilot.api import annotations as ann
from certpilot.api.ca_injectables import (
    INJECT_CA_FROM,
    INJECT_CA_FROM_SECRET,
    INJECTION_ANNOTATIONS,
    ForeignResource,
)
from certpilot.api.certificate import Certificate
from certpilot.api.core import CA_CERT_KEY, Secret
from certpilot.api.meta import Resource
from certpilot.controllers.cainjector.bundle import with_injected_ca
from certpilot.controllers.cainjector.sources import (
    CASources,
    InjectionSource,
    SourceKind,
    desired_ca_bundle,
    injection_source,
    why_nothing_to_inject,
)
from certpilot.runtime.context import CacheReader, ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result, Watch
from certpilot.runtime.field_index import FieldIndex

log = logging.getLogger(__name__)

# How often a target injected from a Secret that no informer watches re-reads it.
UNWATCHED_SECRET_RECHECK_SECONDS = 300.0


@dataclass(frozen=True)
class CAInjectorSettings:
    """apiserver_ca: the CA the daemon trusts the API server with (kubeconfig or service account),
    for inject-apiserver-ca. scope_namespace: `--namespace`. certificates_data_source: honour
    inject-ca-from (cert-manager's --enable-certificates-data-source)."""

    apiserver_ca: bytes | None
    scope_namespace: str | None = None
    certificates_data_source: bool = True


def _annotation_index(annotation: str) -> FieldIndex[Any]:
    def values(target: Resource) -> tuple[str, ...]:
        value = (target.metadata.annotations or {}).get(annotation, "")
        return (value,) if "/" in value else ()

    return FieldIndex(f"metadata.annotations[{annotation}]", values)


TARGETS_BY_CERTIFICATE = _annotation_index(INJECT_CA_FROM)
TARGETS_BY_SECRET = _annotation_index(INJECT_CA_FROM_SECRET)


def has_injection_annotation(_old: Any, new: Any) -> bool:
    """cert-manager's predicate: a target that asks for injection at all (even wrongly)."""
    return any(a in (new.metadata.annotations or {}) for a in INJECTION_ANNOTATIONS)


def secret_name_changed(old: Certificate, new: Certificate) -> bool:
    return old.spec.secret_name != new.spec.secret_name


def ca_or_annotations_changed(old: Secret, new: Secret) -> bool:
    return (
        old.get_data(CA_CERT_KEY) != new.get_data(CA_CERT_KEY)
        or old.metadata.annotations != new.metadata.annotations
    )


def targets_of_certificate(
    cache: CacheReader, kind: type[ForeignResource]
) -> Callable[[Resource], Iterable[ObjectKey]]:
    def to_keys(cert: Resource) -> Iterable[ObjectKey]:
        named = f"{cert.namespace}/{cert.name}"
        return [ObjectKey.of(t) for t in cache.indexed(kind, TARGETS_BY_CERTIFICATE, named)]

    return to_keys


def targets_of_secret(
    cache: CacheReader, kind: type[ForeignResource]
) -> Callable[[Resource], Iterable[ObjectKey]]:
    """Targets injected from this Secret directly, or from the Certificate that writes it."""

    def to_keys(secret: Resource) -> Iterable[ObjectKey]:
        direct = cache.indexed(kind, TARGETS_BY_SECRET, f"{secret.namespace}/{secret.name}")
        certificate = (secret.metadata.annotations or {}).get(ann.CERTIFICATE_NAME)
        through = (
            cache.indexed(kind, TARGETS_BY_CERTIFICATE, f"{secret.namespace}/{certificate}")
            if certificate
            else []
        )
        return sorted({ObjectKey.of(t) for t in (*direct, *through)})

    return to_keys


class CAInjectorController:
    def __init__(
        self, ctx: ControllerContext, kind: type[ForeignResource], settings: CAInjectorSettings
    ) -> None:
        self.ctx = ctx
        self.kind = kind
        self.settings = settings
        watches = [
            Watch(Secret, targets_of_secret(ctx.cache, kind), relevant=ca_or_annotations_changed),
        ]
        if settings.certificates_data_source:
            watches.append(
                Watch(Certificate, targets_of_certificate(ctx.cache, kind), relevant=secret_name_changed)
            )
        self.spec = ControllerSpec(
            name=f"cainjector-{kind.SINGULAR}",
            primary=kind,
            watches=watches,
            primary_relevant=has_injection_annotation,
        )

    async def reconcile(self, key: ObjectKey) -> Result:
        target = self.ctx.cache.get(self.kind, key.name)
        if target is None or target.metadata.deletion_timestamp is not None:
            return Result()
        source = injection_source(target)
        if source is None:
            return Result()
        if source.kind is SourceKind.CERTIFICATE and not self.settings.certificates_data_source:
            log.info("%s %s: inject-ca-from ignored (certificates data source disabled)", self.kind.KIND, key)
            return Result()
        sources, watched = await self._read(source)
        recheck = Result() if watched else Result(requeue_after=UNWATCHED_SECRET_RECHECK_SECONDS)
        reason = why_nothing_to_inject(source, sources)
        if reason is not None:
            log.warning("%s %s: nothing to inject: %s", self.kind.KIND, key, reason)
            return recheck
        ca = desired_ca_bundle(target, sources)
        if ca is None:
            log.warning("%s %s: nothing to inject: %s holds no CA", self.kind.KIND, key, source)
            return recheck
        updated = with_injected_ca(target, ca, self.ctx.clock.now())
        if updated is not None:
            await self.ctx.store.update(updated)
            log.info("%s %s: injected the CA of %s into its caBundle", self.kind.KIND, key, source)
        return recheck

    async def _read(self, source: InjectionSource) -> tuple[CASources, bool]:
        """The sources the annotation names, and whether a watch sees their changes."""
        scope = self.settings.scope_namespace
        if source.kind is SourceKind.APISERVER:
            return CASources(apiserver_ca=self.settings.apiserver_ca), True
        if not source.namespace or (scope and source.namespace != scope):
            return CASources(scope_namespace=scope), True
        certificate = None
        secret_name = source.name
        if source.kind is SourceKind.CERTIFICATE:
            certificate = self.ctx.cache.get(Certificate, source.name, source.namespace)
            if certificate is None:
                return CASources(scope_namespace=scope), True
            secret_name = certificate.spec.secret_name
        secret = await self.ctx.cached_or_stored(Secret, secret_name, source.namespace)
        # A Certificate's Secret is managed (labelled), so cached and watched once it exists.
        watched = self.ctx.cache.get(Secret, secret_name, source.namespace) is not None or (
            secret is None and source.kind is SourceKind.CERTIFICATE
        )
        return CASources(certificate, secret, scope_namespace=scope), watched
