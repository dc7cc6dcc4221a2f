"""The shim controller: fetch the source object and the Certificates, decide with desired.py,
write, and tell the user with Events on the source (cert-manager's SyncFnFor)."""

from __future__ import annotations

import logging
from typing import Any

from certpilot.api.certificate import Certificate
from certpilot.api.meta import Resource
from certpilot.controllers.shims.bad_config import BadConfig
from certpilot.controllers.shims.desired import (
    certificates_to_delete,
    desired_certificates,
    is_controlled_by,
    updated_certificate,
)
from certpilot.controllers.shims.issuer_choice import asks_for_certificates
from certpilot.controllers.shims.options import ShimOptions
from certpilot.controllers.shims.tls_targets import ShimSource
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result, Watch
from certpilot.store.errors import AlreadyExists, Conflict, NotFound

log = logging.getLogger(__name__)

REASON_BAD_CONFIG = "BadConfig"
REASON_CREATE = "CreateCertificate"
REASON_UPDATE = "UpdateCertificate"
REASON_DELETE = "DeleteCertificate"
# Set by a foreground cascading deletion: the object is going, its Certificates with it.
FOREGROUND_DELETION_FINALIZER = "foregroundDeletion"


def source_changed(old: Any, new: Any) -> bool:
    """A change the shim acts on: spec, labels or annotations (status updates are not)."""
    return bool(
        old.spec != new.spec
        or old.metadata.labels != new.metadata.labels
        or old.metadata.annotations != new.metadata.annotations
        or old.metadata.deletion_timestamp != new.metadata.deletion_timestamp
    )


def certificate_changed(old: Any, new: Any) -> bool:
    """A change to a shim's Certificate that the shim may have to undo (not its status)."""
    return bool(
        old.spec != new.spec
        or old.metadata.labels != new.metadata.labels
        or old.metadata.annotations != new.metadata.annotations
        or old.metadata.owner_references != new.metadata.owner_references
    )


def is_being_deleted(source: Resource) -> bool:
    return source.metadata.deletion_timestamp is not None or FOREGROUND_DELETION_FINALIZER in (
        source.metadata.finalizers or ()
    )


class ShimController:
    """Keeps one source kind's Certificates as its annotations and TLS entries say. Subclasses set
    the kind, and may resolve the source first (a ListenerSet inherits from its Gateway)."""

    kind: type[ShimSource]
    name: str
    # Annotations that ask for a certificate from the default issuer (Ingresses only).
    auto_annotations: tuple[str, ...] = ()

    def __init__(self, ctx: ControllerContext, options: ShimOptions) -> None:
        self.ctx = ctx
        self.options = options
        self.spec = ControllerSpec(
            name=self.name,
            primary=self.kind,
            watches=[Watch(Certificate, self.controller_keys, certificate_changed), *self.extra_watches()],
            primary_relevant=source_changed,
        )

    def extra_watches(self) -> list[Watch]:
        return []

    def controller_keys(self, obj: Resource) -> list[ObjectKey]:
        """The source object controlling a Certificate, when it is of this shim's kind."""
        return [
            ObjectKey(obj.metadata.namespace, ref.name)
            for ref in obj.metadata.owner_references or ()
            if ref.controller and ref.kind == self.kind.KIND and ref.api_version == self.kind.API_VERSION
        ]

    async def resolved(self, source: ShimSource) -> ShimSource | None:
        """The source as the decisions read it; None to leave it alone for now."""
        return source

    async def reconcile(self, key: ObjectKey) -> Result:
        cached = self.ctx.cache.get(self.kind, key.name, key.namespace)
        if cached is None or is_being_deleted(cached):
            return Result()
        source = await self.resolved(cached)
        if source is None or not asks_for_certificates(
            source.metadata.annotations or {}, self.auto_annotations
        ):
            return Result()
        try:
            desired = desired_certificates(source, self.options)
        except BadConfig as bad:
            await self.ctx.events.event(cached, "Warning", REASON_BAD_CONFIG, str(bad))
            return Result()
        for skipped in desired.skipped:
            await self.ctx.events.event(cached, "Warning", REASON_BAD_CONFIG, skipped)
        existing = self.ctx.cache.list(Certificate, key.namespace)
        by_name = {certificate.name: certificate for certificate in existing}
        for certificate in desired.certificates:
            current = by_name.get(certificate.name)
            if current is None:
                await self.create(certificate)
                await self.ctx.events.event(
                    cached, "Normal", REASON_CREATE, f"Successfully created Certificate {certificate.name!r}"
                )
            elif not is_controlled_by(current, cached.metadata.uid or ""):
                log.info(
                    "Certificate exists and is not controlled by this object: left alone",
                    extra={"controller": self.name, "key": str(key), "certificate": certificate.name},
                )
            elif (changed := updated_certificate(current, certificate)) is not None:
                await self.ctx.store.update(changed)
                await self.ctx.events.event(
                    cached, "Normal", REASON_UPDATE, f"Successfully updated Certificate {certificate.name!r}"
                )
        for unwanted in certificates_to_delete(existing, source):
            try:
                await self.ctx.store.delete(Certificate, unwanted.name, unwanted.namespace)
            except NotFound:
                continue
            await self.ctx.events.event(
                cached,
                "Normal",
                REASON_DELETE,
                f"Successfully deleted unrequired Certificate {unwanted.name!r}",
            )
        return Result()

    async def create(self, certificate: Certificate) -> None:
        try:
            await self.ctx.store.create(certificate)
        except AlreadyExists as exists:
            # Created since the cache was read (by this shim a moment ago, or by someone else):
            # look again once the cache has it, quietly, as after any lost race.
            raise Conflict(str(exists)) from None
