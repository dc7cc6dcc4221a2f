"""The Certificate controllers, as factories for the Manager."""

from __future__ import annotations

from collections.abc import Callable

from certpilot.controllers.certificates.issuing.issuing import IssuingController
from certpilot.controllers.certificates.keymanager.keymanager import KeyManagerController
from certpilot.controllers.certificates.memos import CertificateMemos
from certpilot.controllers.certificates.readiness.certificate_readiness import ReadinessController
from certpilot.controllers.certificates.requestmanager.requestmanager import RequestManagerController
from certpilot.controllers.certificates.revisionmanager.revisionmanager import RevisionManagerController
from certpilot.controllers.certificates.trigger.trigger import TriggerController
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import Reconciler


def build(options: ControllerOptions) -> list[Callable[[ControllerContext], Reconciler]]:
    """The six controllers, sharing one set of memos that lives as long as they do."""
    memos = CertificateMemos()
    return [
        lambda ctx: TriggerController(ctx, options, memos),
        lambda ctx: KeyManagerController(ctx, options, memos),
        lambda ctx: RequestManagerController(ctx, options, memos),
        lambda ctx: IssuingController(ctx, options, memos),
        lambda ctx: ReadinessController(ctx, options, memos),
        lambda ctx: RevisionManagerController(ctx, options),
    ]
