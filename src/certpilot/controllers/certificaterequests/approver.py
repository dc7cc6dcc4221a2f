"""Approval of CertificateRequests: automatic for certpilot's own issuers, manual through
`approve` / `deny` (used by `certpilot approve|deny`). Approved and Denied are final and exclusive.

Requests certpilot's signer takes care of are approved by the signer itself (`auto_approved`), in
the same write as the signing outcome; this controller approves the others (requests for external
signers listed in approve_signers)."""

from __future__ import annotations

from datetime import datetime

from certpilot.api.certificaterequest import CertificateRequest, CertificateRequestStatus
from certpilot.api.conditions import APPROVED, DENIED, set_condition
from certpilot.controllers.certificaterequests.conditions import conditions_of, is_approved, is_denied
from certpilot.controllers.certificaterequests.served import needs_signer
from certpilot.controllers.issuers.resolve import issuer_kind_of
from certpilot.controllers.options import ControllerOptions
from certpilot.issuers.registry import SERVED_GROUP, IssuerBackends
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result
from certpilot.store.errors import Conflict

AUTO_APPROVAL_REASON = "cert-manager.io"
AUTO_APPROVAL_MESSAGE = "Certificate request has been approved by cert-manager.io"


class AlreadyDecided(ValueError):
    """The request is already Approved or Denied; that decision is final."""


def issuer_group_of(cr: CertificateRequest) -> str:
    return cr.spec.issuer_ref.group or SERVED_GROUP


def should_auto_approve(cr: CertificateRequest, options: ControllerOptions) -> bool:
    """Undecided, auto-approval on, and the signer is ours or listed in options.approve_signers."""
    if not options.auto_approve or is_approved(cr) or is_denied(cr):
        return False
    group = issuer_group_of(cr)
    if group == SERVED_GROUP:
        return True
    signer = f"{group}/{issuer_kind_of(cr.spec.issuer_ref)}"
    return signer in options.approve_signers or f"{group}/*" in options.approve_signers


def auto_approved(
    cr: CertificateRequest, options: ControllerOptions, now: datetime
) -> CertificateRequest | None:
    """A copy of cr approved by cert-manager.io, or None when it is not to be approved automatically."""
    if not should_auto_approve(cr, options):
        return None
    return approve(cr, AUTO_APPROVAL_REASON, AUTO_APPROVAL_MESSAGE, now)


def _decide(
    cr: CertificateRequest, condition: str, reason: str, message: str, now: datetime
) -> CertificateRequest:
    if is_approved(cr) or is_denied(cr):
        state = APPROVED if is_approved(cr) else DENIED
        raise AlreadyDecided(f"CertificateRequest {cr.key} is already {state}; approval decisions are final")
    # Shallow copies: the cached request and its status are never modified (set_condition builds
    # a new conditions list).
    status = cr.status.model_copy() if cr.status else CertificateRequestStatus()
    status.conditions = set_condition(
        conditions_of(cr), condition, "True", reason, message, now, cr.metadata.generation
    )
    return cr.model_copy(update={"status": status})


def approve(cr: CertificateRequest, reason: str, message: str, now: datetime) -> CertificateRequest:
    """A copy with Approved=True. Raises AlreadyDecided when Approved or Denied is already set."""
    return _decide(cr, APPROVED, reason, message, now)


def deny(cr: CertificateRequest, reason: str, message: str, now: datetime) -> CertificateRequest:
    """A copy with Denied=True. Raises AlreadyDecided when Approved or Denied is already set."""
    return _decide(cr, DENIED, reason, message, now)


def still_undecided(_: CertificateRequest, new: CertificateRequest) -> bool:
    """Decided requests (approved or denied: final) are never touched again: their later status
    writes (signing) need no look."""
    return not (is_approved(new) or is_denied(new))


class CertificateRequestApprover:
    def __init__(self, ctx: ControllerContext, options: ControllerOptions, backends: IssuerBackends) -> None:
        self.ctx = ctx
        self.options = options
        self.backends = backends
        self.spec = ControllerSpec(
            name="certificaterequests-approver", primary=CertificateRequest, primary_relevant=still_undecided
        )

    async def reconcile(self, key: ObjectKey) -> Result:
        cr = self.ctx.cache.get(CertificateRequest, key.name, key.namespace)
        if cr is None or cr.metadata.deletion_timestamp is not None:
            return Result()
        # The signer approves what it signs, in its own write.
        if needs_signer(cr, self.backends):
            return Result()
        approved = auto_approved(cr, self.options, self.ctx.clock.now())
        if approved is None:
            return Result()
        try:
            await self.ctx.store.update_status(approved)
        except Conflict:
            # A newer version exists (the signer wrote status); its watch event brings us back.
            return Result()
        await self.ctx.events.event(approved, "Normal", AUTO_APPROVAL_REASON, AUTO_APPROVAL_MESSAGE)
        return Result()
