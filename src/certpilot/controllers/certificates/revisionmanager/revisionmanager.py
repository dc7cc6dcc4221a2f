"""revisionmanager: deletes a Certificate's old CertificateRequests beyond spec.revisionHistoryLimit."""

from __future__ import annotations

from collections.abc import Sequence

from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.defaults import revision_history_limit
from certpilot.controllers.certificates import lookups
from certpilot.controllers.certificates import relevant_changes as changes
from certpilot.controllers.certificates.conditions import is_issuing
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result, Watch
from certpilot.store.errors import NotFound


def requests_to_prune(
    requests: Sequence[CertificateRequest], current_revision: int, limit: int
) -> list[CertificateRequest]:
    """Requests of revisions up to the current one, beyond the `limit` newest; requests of later
    revisions (an issuance under way) and without a revision are never pruned."""
    finished = [
        r for r in requests if (rev := lookups.request_revision(r)) is not None and rev <= current_revision
    ]
    finished.sort(key=lambda r: lookups.request_revision(r) or 0, reverse=True)
    return finished[max(limit, 1) :]


class RevisionManagerController:
    def __init__(self, ctx: ControllerContext, options: ControllerOptions) -> None:
        self.ctx = ctx
        self.options = options
        self.spec = ControllerSpec(
            name="certificates-revision-manager",
            primary=Certificate,
            watches=[
                Watch(
                    CertificateRequest,
                    changes.owner_certificate_keys_when(ctx.cache, changes.owner_is_not_issuing),
                )
            ],
            primary_relevant=changes.REVISION_MANAGER_CHANGES,
        )

    async def reconcile(self, key: ObjectKey) -> Result:
        cert = self.ctx.cache.get(Certificate, key.name, key.namespace)
        if cert is None or cert.metadata.deletion_timestamp is not None or is_issuing(cert):
            return Result()
        stale = requests_to_prune(
            lookups.owned_requests(self.ctx.cache, cert),
            lookups.current_revision(cert),
            revision_history_limit(cert.spec),
        )
        for request in stale:
            try:
                await self.ctx.store.delete(CertificateRequest, request.name, request.namespace)
            except NotFound:
                continue
        return Result()
