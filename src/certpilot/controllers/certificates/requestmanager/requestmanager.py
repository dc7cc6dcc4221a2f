"""requestmanager: while Issuing, keeps exactly one CertificateRequest for the next revision,
named `<certificate>-<revision>`, matching the spec and the next private key."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from functools import partial

from certpilot.api import annotations as ann
from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest, CertificateRequestSpec
from certpilot.api.common import IssuerReference
from certpilot.api.conditions import get_condition
from certpilot.api.core import TLS_PRIVATE_KEY_KEY, Secret
from certpilot.api.defaults import duration, usages
from certpilot.api.duration import format_duration
from certpilot.api.meta import ObjectMeta
from certpilot.controllers.certificates import lookups
from certpilot.controllers.certificates import relevant_changes as changes
from certpilot.controllers.certificates.conditions import is_issuing, issuing_since
from certpilot.controllers.certificates.copied_annotations import (
    DEFAULT_COPIED_ANNOTATION_PREFIXES,
    annotations_to_copy,
)
from certpilot.controllers.certificates.memos import CertificateMemos
from certpilot.controllers.certificates.policies.issuer_fallback import (
    InvalidFallbackIssuers,
    IssuerChoice,
    issuer_to_use,
)
from certpilot.controllers.certificates.request_state import failed_before
from certpilot.controllers.issuers.resolve import lookup_issuer
from certpilot.controllers.options import ControllerOptions
from certpilot.pki.csr import build_csr, csr_to_pem
from certpilot.pki.keys import PrivateKey
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result, Watch
from certpilot.runtime.errors import RetryWithBackoff
from certpilot.store.errors import AlreadyExists, NotFound

REASON_FALLBACK = "FallbackIssuer"


def request_name(cert: Certificate, revision: int) -> str:
    return f"{cert.name}-{revision}"


def request_is_stale(
    request: CertificateRequest,
    cert: Certificate,
    key: PrivateKey,
    key_secret: Secret | None,
    memos: CertificateMemos,
) -> str | None:
    """Why an existing next-revision request must be replaced, or None to keep it. key_secret:
    the Secret holding `key`, when known (the key check is then remembered per its version)."""
    mismatches = memos.request_mismatches(request, cert)
    if mismatches:
        return "it no longer matches the spec: [" + ", ".join(mismatches) + "]"
    key_problem = memos.why_not_made_for(request, key, key_secret)
    if key_problem is not None:
        return key_problem
    if failed_before(request, issuing_since(cert)):
        return "it failed in an earlier issuance attempt"
    return None


def build_request(
    cert: Certificate,
    key: PrivateKey,
    revision: int,
    key_secret_name: str,
    copied_annotation_prefixes: Sequence[str] = DEFAULT_COPIED_ANNOTATION_PREFIXES,
    issuer_ref: IssuerReference | None = None,
) -> CertificateRequest:
    """The request for `revision`, to `issuer_ref` (a fallback issuer) or spec.issuerRef."""
    spec = cert.spec
    csr_pem = csr_to_pem(build_csr(spec, key))
    return CertificateRequest(
        metadata=ObjectMeta(
            name=request_name(cert, revision),
            namespace=cert.namespace,
            labels=dict(cert.metadata.labels or {}),
            annotations={
                **annotations_to_copy(cert.metadata.annotations or {}, copied_annotation_prefixes),
                ann.CERTIFICATE_NAME: cert.name,
                ann.CERTIFICATE_REVISION: str(revision),
                ann.PRIVATE_KEY_SECRET_NAME: key_secret_name,
            },
            owner_references=[lookups.owner_reference(cert)],
        ),
        spec=CertificateRequestSpec(
            issuer_ref=(issuer_ref or spec.issuer_ref).model_copy(),
            request=base64.b64encode(csr_pem).decode(),
            duration=format_duration(duration(spec)),
            is_ca=bool(spec.is_ca),
            usages=usages(spec),
        ),
    )


class RequestManagerController:
    def __init__(
        self, ctx: ControllerContext, options: ControllerOptions, memos: CertificateMemos | None = None
    ) -> None:
        """memos: shared with the other Certificate controllers of this Manager (setup.build)."""
        self.ctx = ctx
        self.options = options
        self.memos = memos or CertificateMemos()
        ctx.cache.on_deleted(self.memos.forget_deleted)
        self.spec = ControllerSpec(
            name="certificates-request-manager",
            primary=Certificate,
            watches=[
                Watch(Secret, changes.owner_certificate_keys_when(ctx.cache, changes.owner_is_issuing)),
                Watch(
                    CertificateRequest,
                    changes.owner_certificate_keys_when(ctx.cache, changes.owner_is_issuing),
                    relevant=changes.request_spec_or_outcome_changed,
                ),
            ],
            primary_relevant=changes.REQUEST_MANAGER_CHANGES,
        )

    async def reconcile(self, key: ObjectKey) -> Result:
        cert = self.ctx.cache.get(Certificate, key.name, key.namespace)
        if cert is None or cert.metadata.deletion_timestamp is not None or not is_issuing(cert):
            return Result()
        key_secret_name = cert.status.next_private_key_secret_name if cert.status else None
        if key_secret_name is None:
            return Result()
        key_secret = await self.ctx.cached_or_stored(Secret, key_secret_name, cert.namespace)
        private_key = self.memos.parsed_key(key_secret, TLS_PRIVATE_KEY_KEY).key if key_secret else None
        if key_secret is None or private_key is None:
            return Result()
        revision = lookups.current_revision(cert) + 1
        kept = None
        for request in lookups.requests_for_revision(self.ctx.cache, cert, revision):
            why = request_is_stale(request, cert, private_key, key_secret, self.memos)
            if why is None and kept is None:
                kept = request
                continue
            await self._delete(cert, request, why or "another request exists for this revision")
        if kept is not None:
            return Result()
        attempts = (cert.status.failed_issuance_attempts if cert.status else None) or 0
        try:
            choice = issuer_to_use(cert, attempts, partial(self._issuer_is_ready, cert.namespace))
        except InvalidFallbackIssuers as e:
            # A typo in the annotation must not stop issuance by spec.issuerRef: say so and go on.
            await self.ctx.events.event(cert, "Warning", REASON_FALLBACK, f"{e}; using spec.issuerRef only")
            choice = IssuerChoice(cert.spec.issuer_ref, None)
        request = build_request(
            cert, private_key, revision, key_secret_name, self.options.copied_annotation_prefixes, choice.ref
        )
        try:
            stored = await self.ctx.store.create(request)
        except AlreadyExists:
            # The cache has not seen it yet, or it is being deleted: decide again on fresh data.
            raise RetryWithBackoff(
                f"CertificateRequest {request.name} already exists; re-checking it"
            ) from None
        self.memos.remember_built_request(stored, request, cert)
        self.memos.remember_made_for(stored, request, key_secret)
        await self.ctx.events.event(
            cert, "Normal", "Requested", f"Created new CertificateRequest resource {request.name!r}"
        )
        if choice.why is not None:
            message = f"Requesting from fallback issuer {choice.ref.kind}/{choice.ref.name}: {choice.why}"
            await self.ctx.events.event(cert, "Normal", REASON_FALLBACK, message)
        return Result()

    def _issuer_is_ready(self, namespace: str | None, ref: IssuerReference) -> bool:
        issuer = lookup_issuer(self.ctx.cache, ref, namespace)
        ready = get_condition(issuer.status.conditions if issuer and issuer.status else None, "Ready")
        return ready is not None and ready.status == "True"

    async def _delete(self, cert: Certificate, request: CertificateRequest, why: str) -> None:
        try:
            await self.ctx.store.delete(CertificateRequest, request.name, request.namespace)
        except NotFound:
            return
        await self.ctx.events.event(
            cert, "Normal", "Deleted", f"Deleted CertificateRequest {request.name!r} because {why}"
        )
