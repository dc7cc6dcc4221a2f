"""Issuer / ClusterIssuer readiness: ask the issuer type's backend whether it can sign, and keep
the Ready condition (and any status the type owns, e.g. `status.acme`) up to date.

One controller class serves both kinds; only the primary kind and where Secrets live differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import READY, get_condition, set_condition
from certpilot.api.core import Secret
from certpilot.api.issuer import AnyIssuer, ClusterIssuer, Issuer, IssuerStatus
from certpilot.api.meta import Resource
from certpilot.controllers.issuers.failed_signing import (
    failure_message_changed,
    ready_issuer_that_failed_to_sign,
)
from certpilot.controllers.issuers.resolve import issuer_context
from certpilot.controllers.issuers.secret_refs import issuers_using_secret
from certpilot.controllers.options import ControllerOptions
from certpilot.issuers.base import IssuerBackend, IssuerContext, IssuerNotReady, Pending, Permanent
from certpilot.issuers.registry import IssuerBackends, UnknownIssuerType
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result, Watch
from certpilot.server.metrics import set_issuer_ready_status
from certpilot.store.errors import Conflict

# A ready issuer is re-checked now and then (a CA expires, an ACME account is deactivated);
# a not-ready one sooner, in case what broke it is outside the store (a network, a Vault).
RECHECK_READY_SECONDS = 300.0
RECHECK_NOT_READY_SECONDS = 60.0


@dataclass(frozen=True)
class CheckOutcome:
    """What an issuer check concluded: the Ready condition to write and extra status to merge."""

    ready: bool
    reason: str
    message: str
    extra_status: IssuerStatus | None = None

    @property
    def status(self) -> str:
        return "True" if self.ready else "False"


async def check_issuer(backend: IssuerBackend, ctx: IssuerContext) -> CheckOutcome:
    """Run the backend's check, turning the errors that carry intent into a not-ready outcome."""
    try:
        ready = await backend.check(ctx)
    except IssuerNotReady as e:
        return CheckOutcome(False, e.reason, str(e))
    except Pending as e:
        return CheckOutcome(False, "Pending", str(e))
    except Permanent as e:
        return CheckOutcome(False, "Failed", str(e))
    return CheckOutcome(True, ready.reason, ready.message, ready.extra_status)


def issuer_status_after(
    status: IssuerStatus | None, outcome: CheckOutcome, now: datetime, generation: int | None
) -> IssuerStatus:
    """The issuer's status with the outcome applied (Ready condition set, extra status merged)."""
    current = status.to_dict() if status else {}
    current.update(outcome.extra_status.to_dict() if outcome.extra_status else {})
    current["conditions"] = [
        c.to_dict()
        for c in set_condition(
            status.conditions if status else None,
            READY,
            outcome.status,
            outcome.reason,
            outcome.message,
            now,
            generation,
        )
    ]
    return IssuerStatus.model_validate(current)


def ready_condition_changed(before: IssuerStatus | None, after: IssuerStatus) -> bool:
    old = get_condition(before.conditions if before else None, READY)
    new = get_condition(after.conditions, READY)
    if old is None or new is None:
        return old is not new
    return (old.status, old.reason, old.message) != (new.status, new.reason, new.message)


class IssuerReadinessController:
    def __init__(
        self,
        ctx: ControllerContext,
        options: ControllerOptions,
        backends: IssuerBackends,
        kind: type[Issuer] | type[ClusterIssuer],
    ) -> None:
        self.ctx = ctx
        self.options = options
        self.backends = backends
        self.kind = kind
        self.spec = ControllerSpec(
            name=f"{kind.PLURAL}-readiness",
            primary=kind,
            watches=[
                Watch(Secret, self._issuers_using),
                Watch(CertificateRequest, self._issuer_that_failed_to_sign, failure_message_changed),
            ],
        )

    def _issuers_using(self, obj: Resource) -> list[ObjectKey]:
        if not isinstance(obj, Secret):
            raise TypeError(f"{self.spec.name}: its Secret watch was handed a {obj.KIND}")
        return issuers_using_secret(self.ctx.cache, self.kind, obj, self.options)

    def _issuer_that_failed_to_sign(self, obj: Resource) -> list[ObjectKey]:
        if not isinstance(obj, CertificateRequest):
            raise TypeError(f"{self.spec.name}: its CertificateRequest watch was handed a {obj.KIND}")
        return ready_issuer_that_failed_to_sign(self.ctx.cache, self.kind, obj)

    async def reconcile(self, key: ObjectKey) -> Result:
        cached = self.ctx.cache.get(self.kind, key.name, key.namespace)
        if cached is None or cached.metadata.deletion_timestamp is not None:
            return Result()
        issuer: AnyIssuer = cached.model_copy(deep=True)
        outcome = await self._check(issuer)
        after = issuer_status_after(issuer.status, outcome, self.ctx.clock.now(), issuer.metadata.generation)
        if after.to_dict() != (issuer.status.to_dict() if issuer.status else {}):
            changed = ready_condition_changed(issuer.status, after)
            issuer.status = after
            try:
                await self.ctx.store.update_status(issuer)
            except Conflict:
                # The issuer changed since it was read; its watch event brings us back.
                return Result()
            if changed:
                await self.ctx.events.event(
                    issuer, "Normal" if outcome.ready else "Warning", outcome.reason, outcome.message
                )
        set_issuer_ready_status(not issuer.NAMESPACED, issuer.name, issuer.namespace or "", outcome.status)
        return Result(requeue_after=RECHECK_READY_SECONDS if outcome.ready else RECHECK_NOT_READY_SECONDS)

    async def _check(self, issuer: AnyIssuer) -> CheckOutcome:
        try:
            backend = self.backends.backend_for(issuer)
        except UnknownIssuerType as e:
            return CheckOutcome(False, "UnknownIssuerType", str(e))
        return await check_issuer(backend, issuer_context(issuer, self.options, self.ctx))
