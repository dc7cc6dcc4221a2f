"""readiness: sets the Ready condition, notBefore, notAfter and renewalTime, and records
cert-manager's certificate metrics."""

from __future__ import annotations

from datetime import datetime

from certpilot.api.certificate import Certificate, CertificateStatus
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.core import TLS_CERT_KEY, Secret
from certpilot.api.defaults import issuer_group, issuer_kind
from certpilot.controllers.certificates import lookups
from certpilot.controllers.certificates import relevant_changes as changes
from certpilot.controllers.certificates.conditions import is_issuing, with_status
from certpilot.controllers.certificates.memos import CertificateMemos
from certpilot.controllers.certificates.policies.issuer_ca import issuer_ca_certificate, issuer_ca_watches
from certpilot.controllers.certificates.policies.policy_input import PolicyInput
from certpilot.controllers.certificates.policies.ready_status import (
    already_has_readiness,
    readiness_status,
    ready_condition,
)
from certpilot.controllers.certificates.policies.trigger_decision import trigger_decision
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result, Watch
from certpilot.server import metrics


def is_left_to_the_trigger(
    i: PolicyInput, failed_request: CertificateRequest | None, options: ControllerOptions
) -> bool:
    """Whether the trigger is about to write this Certificate's status anyway (Issuing=True, with
    Ready and the validity times as computed here: trigger.issuing_status), so readiness need not
    write them first: on a new Certificate that write would be a second one for the same news."""
    return not is_issuing(i.certificate) and trigger_decision(i, failed_request, options).issue is not None


def is_left_to_issuing(
    cert: Certificate, secret: Secret | None, next_request: CertificateRequest | None
) -> bool:
    """Whether the issuing controller has written the Secret from the next revision's issued
    request and is about to write the status ending the issuance, with Ready and the validity
    times as computed here (issuing.issued_status): a readiness write in between would race that
    one for the same Certificate version and lose it as a Conflict, after computing Ready for a
    state that lasts a moment. Once that status is written readiness looks again (the revision
    changed); if it is not (the key was lost), a new request replaces this one and this ends."""
    if not is_issuing(cert) or secret is None or secret.data is None or next_request is None:
        return False
    issued = next_request.status.certificate if next_request.status is not None else None
    return issued is not None and secret.data.get(TLS_CERT_KEY) == issued


def issuer_labels(cert: Certificate) -> tuple[str, str, str]:
    ref = cert.spec.issuer_ref
    return ref.name, issuer_kind(ref), issuer_group(ref)


def record_metrics(cert: Certificate, status: CertificateStatus, ready: str) -> None:
    name, namespace, issuer = cert.name, cert.namespace or "", issuer_labels(cert)
    metrics.set_certificate_ready_status(name, namespace, issuer, ready)
    # The time gauges share one label tuple: each series is set by it, without a labels() handle.
    labels = (name, namespace, *issuer)
    not_after = _timestamp(status.not_after)
    metrics.CERTIFICATE_EXPIRATION_TIMESTAMP.set(labels, not_after)
    metrics.CERTIFICATE_NOT_AFTER_TIMESTAMP.set(labels, not_after)
    metrics.CERTIFICATE_NOT_BEFORE_TIMESTAMP.set(labels, _timestamp(status.not_before))
    metrics.CERTIFICATE_RENEWAL_TIMESTAMP.set(labels, _timestamp(status.renewal_time))


def _timestamp(when: datetime | None) -> float:
    return when.timestamp() if when else 0.0


class ReadinessController:
    def __init__(
        self, ctx: ControllerContext, options: ControllerOptions, memos: CertificateMemos | None = None
    ) -> None:
        """memos: shared with the other Certificate controllers of this Manager (setup.build)."""
        self.ctx = ctx
        self.options = options
        self.memos = memos or CertificateMemos()
        ctx.cache.on_deleted(self.memos.forget_deleted)
        self.spec = ControllerSpec(
            name="certificates-readiness",
            primary=Certificate,
            watches=[
                Watch(Secret, lookups.secret_name_to_certificate_keys(ctx.cache)),
                Watch(
                    CertificateRequest,
                    changes.owner_certificate_keys_when(ctx.cache, changes.request_of_current_revision),
                ),
                *issuer_ca_watches(ctx.cache, options),
            ],
            primary_relevant=changes.READINESS_CHANGES,
        )
        self._issuers: dict[ObjectKey, tuple[str, str, str]] = {}

    async def reconcile(self, key: ObjectKey) -> Result:
        cert = self.ctx.cache.get(Certificate, key.name, key.namespace)
        if cert is None or cert.metadata.deletion_timestamp is not None:
            forgotten = self._issuers.pop(key, None)
            if forgotten is not None:
                metrics.forget_certificate(key.name, key.namespace or "", forgotten)
            return Result()
        secret = lookups.certificate_secret(self.ctx.cache, cert)
        if is_issuing(cert) and is_left_to_issuing(cert, secret, lookups.next_request(self.ctx.cache, cert)):
            return Result()
        now = self.ctx.clock.now()
        i = PolicyInput(
            memos=self.memos,
            certificate=cert,
            secret=secret,
            current_request=lookups.current_request(self.ctx.cache, cert),
            now=now,
            issuer_ca=issuer_ca_certificate(self.ctx.cache, cert, self.options, self.memos),
        )
        ready = ready_condition(i)
        status = cert.status or CertificateStatus()
        if not already_has_readiness(status, i, ready):
            current, status = status, readiness_status(i, ready)
            if status != current and not is_left_to_the_trigger(
                i, lookups.next_request(self.ctx.cache, cert), self.options
            ):
                await self.ctx.store.update_status(with_status(cert, status))
        issuer = issuer_labels(cert)
        previous = self._issuers.get(key)
        if previous is not None and previous != issuer:
            metrics.forget_certificate(key.name, key.namespace or "", previous)
        self._issuers[key] = issuer
        record_metrics(cert, status, ready[0])
        # Look again when the certificate expires, so Ready turns False on time.
        if status.not_after is not None and status.not_after > now:
            return Result(requeue_after=max((status.not_after - now).total_seconds(), 1.0))
        return Result()
