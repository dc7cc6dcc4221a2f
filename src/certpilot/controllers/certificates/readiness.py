"""readiness: sets the Ready condition, notBefore, notAfter and renewalTime, and records
cert-manager's certificate metrics."""

from __future__ import annotations

from certpilot.api.certificate import Certificate, CertificateStatus
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import set_condition
from certpilot.api.core import Secret
from certpilot.api.defaults import issuer_group, issuer_kind
from certpilot.controllers.certificates import lookups, reasons
from certpilot.controllers.certificates import relevant_changes as changes
from certpilot.controllers.certificates.conditions import READY, with_status
from certpilot.controllers.certificates.policies import not_ready_reason
from certpilot.controllers.certificates.policy_input import PolicyInput
from certpilot.controllers.certificates.reasons import Reason
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result, Watch
from certpilot.server import metrics

READY_MESSAGE = "Certificate is up to date and has not expired"


def ready_condition(i: PolicyInput) -> tuple[str, Reason]:
    """("True" | "False", reason) for the Ready condition."""
    reason = not_ready_reason(i)
    if reason is None:
        return "True", Reason(reasons.READY, READY_MESSAGE)
    return "False", reason


def readiness_status(i: PolicyInput, ready: tuple[str, Reason] | None = None) -> CertificateStatus:
    """The Certificate's status with Ready (`ready`, else computed) and the validity times set
    from its Secret. A shallow copy: the new conditions list is the only part that changes, and
    nothing shared with the cache is modified."""
    current = i.certificate.status or CertificateStatus()
    condition_status, reason = ready or ready_condition(i)
    cert = i.parsed_certificate.certificate if i.secret is not None else None
    return current.model_copy(
        update={
            "conditions": set_condition(
                current.conditions,
                READY,
                condition_status,
                reason.reason,
                reason.message,
                i.now,
                i.certificate.metadata.generation,
            ),
            "not_before": cert.not_valid_before_utc if cert else None,
            "not_after": cert.not_valid_after_utc if cert else None,
            "renewal_time": i.renewal_time if cert else None,
        }
    )


def issuer_labels(cert: Certificate) -> tuple[str, str, str]:
    ref = cert.spec.issuer_ref
    return ref.name, issuer_kind(ref), issuer_group(ref)


def record_metrics(cert: Certificate, status: CertificateStatus, ready: str) -> None:
    name, namespace, issuer = cert.name, cert.namespace or "", issuer_labels(cert)
    metrics.set_certificate_ready_status(name, namespace, issuer, ready)
    times = (
        (metrics.CERTIFICATE_EXPIRATION_TIMESTAMP, status.not_after),
        (metrics.CERTIFICATE_NOT_AFTER_TIMESTAMP, status.not_after),
        (metrics.CERTIFICATE_NOT_BEFORE_TIMESTAMP, status.not_before),
        (metrics.CERTIFICATE_RENEWAL_TIMESTAMP, status.renewal_time),
    )
    for gauge, when in times:
        gauge.labels(name, namespace, *issuer).set(when.timestamp() if when else 0.0)


class ReadinessController:
    def __init__(self, ctx: ControllerContext, options: ControllerOptions) -> None:
        self.ctx = ctx
        self.options = options
        self.spec = ControllerSpec(
            name="certificates-readiness",
            primary=Certificate,
            watches=[
                Watch(Secret, lookups.secret_name_to_certificate_keys(ctx.cache)),
                Watch(
                    CertificateRequest,
                    changes.owner_certificate_keys_when(ctx.cache, changes.request_of_current_revision),
                ),
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
        now = self.ctx.clock.now()
        i = PolicyInput(
            certificate=cert,
            secret=lookups.certificate_secret(self.ctx.cache, cert),
            current_request=lookups.current_request(self.ctx.cache, cert),
            now=now,
        )
        ready = ready_condition(i)
        status = readiness_status(i, ready)
        if status != (cert.status or CertificateStatus()):
            await self.ctx.store.update_status(with_status(cert, status))
        previous = self._issuers.get(key)
        if previous is not None and previous != issuer_labels(cert):
            metrics.forget_certificate(key.name, key.namespace or "", previous)
        self._issuers[key] = issuer_labels(cert)
        record_metrics(cert, status, ready[0])
        # Look again when the certificate expires, so Ready turns False on time.
        if status.not_after is not None and status.not_after > now:
            return Result(requeue_after=max((status.not_after - now).total_seconds(), 1.0))
        return Result()
