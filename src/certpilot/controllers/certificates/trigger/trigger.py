"""trigger: decides a Certificate needs (re)issuing and sets Issuing=True with the reason;
otherwise requeues itself at the renewal time so renewal happens on time, forever."""

from __future__ import annotations

from certpilot.api.certificate import Certificate, CertificateStatus
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import ISSUING, set_condition
from certpilot.api.core import Secret
from certpilot.controllers.certificates import lookups
from certpilot.controllers.certificates import relevant_changes as changes
from certpilot.controllers.certificates.conditions import is_issuing, status_of, with_status
from certpilot.controllers.certificates.memos import CertificateMemos
from certpilot.controllers.certificates.policies.issuer_ca import issuer_ca_certificate, issuer_ca_watches
from certpilot.controllers.certificates.policies.policy_input import PolicyInput
from certpilot.controllers.certificates.policies.ready_status import with_readiness
from certpilot.controllers.certificates.policies.reasons import Reason
from certpilot.controllers.certificates.policies.trigger_decision import TriggerDecision, trigger_decision
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result, Watch
from certpilot.runtime.object_versions import same_stored_version


def issuing_status(i: PolicyInput, reason: Reason) -> CertificateStatus:
    """The status the trigger writes: Issuing=True for `reason`, and Ready with the validity times
    exactly as readiness would set them from the same input (readiness does not read Issuing), so
    a new Certificate gets its Ready=False in this one write and readiness finds nothing to add."""
    status = status_of(i.certificate)
    status.conditions = set_condition(
        status.conditions,
        ISSUING,
        "True",
        reason.reason,
        reason.message,
        i.now,
        i.certificate.metadata.generation,
    )
    return with_readiness(status, i)


class TriggerController:
    def __init__(
        self, ctx: ControllerContext, options: ControllerOptions, memos: CertificateMemos | None = None
    ) -> None:
        """memos: shared with the other Certificate controllers of this Manager (setup.build)."""
        self.ctx = ctx
        self.options = options
        self.memos = memos or CertificateMemos()
        ctx.cache.on_deleted(self.memos.forget_deleted)
        self.spec = ControllerSpec(
            name="certificates-trigger",
            primary=Certificate,
            watches=[
                Watch(Secret, lookups.secret_name_to_certificate_keys(ctx.cache)),
                Watch(
                    CertificateRequest,
                    changes.owner_certificate_keys_when(ctx.cache, changes.owner_is_not_issuing),
                ),
                *issuer_ca_watches(ctx.cache, options),
            ],
            primary_relevant=changes.TRIGGER_CHANGES,
        )

    async def reconcile(self, key: ObjectKey) -> Result:
        cert = self.ctx.cache.get(Certificate, key.name, key.namespace)
        if cert is None or cert.metadata.deletion_timestamp is not None or is_issuing(cert):
            return Result()
        cached_secret = lookups.certificate_secret(self.ctx.cache, cert)
        i, decision = self._decide(cert, cached_secret)
        if decision.issue is not None and lookups.issued_before(cert):
            # Each kind has its own informer: right after an issuance the cache can hold the
            # Certificate's new status before the Secret written just ahead of it, and a Secret
            # missing or old there would start a second issuance (a new key, request, ACME
            # order). On Kubernetes an unlabelled Secret (issued before certpilot took over) is
            # not cached at all. A store read, so not for every new Certificate.
            stored_secret = await self.ctx.stored(Secret, cert.spec.secret_name, cert.namespace)
            if not same_stored_version(stored_secret, cached_secret):
                i, decision = self._decide(cert, stored_secret)
        if decision.issue is not None:
            await self.ctx.store.update_status(with_status(cert, issuing_status(i, decision.issue)))
            await self.ctx.events.event(cert, "Normal", "Issuing", decision.issue.message)
        requeue = decision.requeue_after
        return Result(requeue_after=requeue.total_seconds() if requeue is not None else None)

    def _decide(self, cert: Certificate, secret: Secret | None) -> tuple[PolicyInput, TriggerDecision]:
        i = PolicyInput(
            memos=self.memos,
            certificate=cert,
            secret=secret,
            current_request=lookups.current_request(self.ctx.cache, cert),
            now=self.ctx.clock.now(),
            issuer_ca=issuer_ca_certificate(self.ctx.cache, cert, self.options, self.memos),
        )
        return i, trigger_decision(i, lookups.next_request(self.ctx.cache, cert), self.options)
