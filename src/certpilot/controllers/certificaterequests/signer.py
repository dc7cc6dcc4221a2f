"""The signer: takes approved CertificateRequests for certpilot's issuers through their lifecycle
around the IssuerBackend interface (written once for every issuer type).

A request the approver would approve automatically is approved here, in the same status write as
the signing outcome: one store write (and one round of watch events) less per issuance; the
approver leaves these requests to the signer.

A request is never retried by its own controller once Issued, Failed or Denied: a new request is
the Certificate controllers' decision.
"""

from __future__ import annotations

from typing import Any

from certpilot.api.acme import Order
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.issuer import AnyIssuer, ClusterIssuer, Issuer
from certpilot.controllers.certificaterequests.approver import (
    AUTO_APPROVAL_MESSAGE,
    AUTO_APPROVAL_REASON,
    auto_approved,
)
from certpilot.controllers.certificaterequests.conditions import is_finished
from certpilot.controllers.certificaterequests.lifecycle import (
    Transition,
    failed,
    ready_changed,
    status_after,
    status_changed,
    transition_after_error,
    transition_after_signing,
    why_not_sign,
)
from certpilot.controllers.certificaterequests.served import needs_signer
from certpilot.controllers.issuers.resolve import issuer_context, issuer_kind_of, lookup_issuer, refers_to
from certpilot.controllers.options import ControllerOptions
from certpilot.issuers.base import IssuerNotReady, Pending, Permanent
from certpilot.issuers.registry import IssuerBackends, UnknownIssuerType
from certpilot.issuers.request import forget_checked_request
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result, Watch
from certpilot.runtime.errors import RetryWithBackoff
from certpilot.runtime.owners import owner_keys
from certpilot.store.errors import Conflict


def still_unfinished(_: CertificateRequest, new: CertificateRequest) -> bool:
    """A finished request (issued, failed, denied, invalid) is never signed again."""
    return not is_finished(new)


class CertificateRequestSigner:
    def __init__(self, ctx: ControllerContext, options: ControllerOptions, backends: IssuerBackends) -> None:
        self.ctx = ctx
        self.options = options
        self.backends = backends
        ctx.cache.on_deleted(forget_checked_request)
        self.spec = ControllerSpec(
            name="certificaterequests-issuer",
            primary=CertificateRequest,
            watches=[
                Watch(Issuer, self._requests_waiting_on),
                Watch(ClusterIssuer, self._requests_waiting_on),
                # An ACME Order's progress is its request's progress: react at once, not on a poll.
                Watch(Order, owner_keys(CertificateRequest)),
                *(Watch(model, self._requests_waiting_on) for p in backends.plugins() for model in p.kinds),
            ],
            primary_relevant=still_unfinished,
        )

    def _requests_waiting_on(self, issuer: Any) -> list[ObjectKey]:
        """Unfinished requests naming this issuer, so a newly Ready issuer gets them signed."""
        requests = self.ctx.cache.list(CertificateRequest, issuer.namespace if issuer.NAMESPACED else None)
        return [
            ObjectKey.of(cr)
            for cr in requests
            if needs_signer(cr, self.backends) and refers_to(cr.spec.issuer_ref, cr.namespace, issuer)
        ]

    async def reconcile(self, key: ObjectKey) -> Result:
        cached = self.ctx.cache.get(CertificateRequest, key.name, key.namespace)
        if cached is None or not needs_signer(cached, self.backends):
            return Result()
        cr = auto_approved(cached, self.options, self.ctx.clock.now()) or cached
        issuer = self._issuer_of(cr)
        blocked = why_not_sign(cr, issuer)
        if blocked is not None:
            return await self._record(cached, cr, blocked)
        if issuer is None:
            # why_not_sign records a missing issuer (issuer_missing) before it gets here.
            raise RetryWithBackoff(f"the issuer of CertificateRequest {cr.key} is missing")
        try:
            transition = await self._sign(cr, issuer)
        except IssuerNotReady as e:
            await self._record(cached, cr, transition_after_error(e))
            raise
        return await self._record(cached, cr, transition)

    def _issuer_of(self, cr: CertificateRequest) -> Any:
        """The Issuer, ClusterIssuer or plugin issuer resource the request names, if cached."""
        ref = cr.spec.issuer_ref
        model = self.backends.plugin_model_for(ref.group, issuer_kind_of(ref))
        if model is None:
            return lookup_issuer(self.ctx.cache, ref, cr.namespace)
        return self.ctx.cache.get(model, ref.name, cr.namespace if model.NAMESPACED else None)

    async def _sign(self, cr: CertificateRequest, issuer: AnyIssuer) -> Transition:
        try:
            backend = self.backends.backend_for(issuer)
        except UnknownIssuerType as e:
            return failed(str(e))
        try:
            signed = await backend.sign(issuer_context(issuer, self.options, self.ctx), cr)
        except (Pending, Permanent) as e:
            return transition_after_error(e)
        return transition_after_signing(cr, signed)

    async def _record(
        self, cached: CertificateRequest, cr: CertificateRequest, transition: Transition
    ) -> Result:
        """Write the transition onto cr (the cached request, or its auto-approved copy) only if
        that changes the stored status, and its events: the approval's, then the Ready change's."""
        status = status_after(cr.status, transition, self.ctx.clock.now(), cr.metadata.generation)
        # A shallow copy: the cached request is never modified, and status_after built a new status.
        updated = cr.model_copy(update={"status": status})
        if status_changed(cached.status, status):
            try:
                await self.ctx.store.update_status(updated)
            except Conflict:
                # Someone (the approver, a user) wrote a newer version; its watch event brings us back.
                return Result()
        if cr is not cached:
            await self.ctx.events.event(updated, "Normal", AUTO_APPROVAL_REASON, AUTO_APPROVAL_MESSAGE)
        if ready_changed(cached, transition):
            await self.ctx.events.event(
                updated, transition.event_type, transition.event_reason, transition.message
            )
        return Result(requeue_after=transition.requeue_after)
