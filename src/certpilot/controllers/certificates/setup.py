"""The Certificate controllers, as factories for the Manager."""

from __future__ import annotations

from collections.abc import Callable

from certpilot.controllers.certificates.issuing import IssuingController
from certpilot.controllers.certificates.keymanager import KeyManagerController
from certpilot.controllers.certificates.readiness import ReadinessController
from certpilot.controllers.certificates.requestmanager import RequestManagerController
from certpilot.controllers.certificates.revisionmanager import RevisionManagerController
from certpilot.controllers.certificates.trigger import TriggerController
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import Reconciler


def build(options: ControllerOptions) -> list[Callable[[ControllerContext], Reconciler]]:
    return [
        lambda ctx: TriggerController(ctx, options),
        lambda ctx: KeyManagerController(ctx, options),
        lambda ctx: RequestManagerController(ctx, options),
        lambda ctx: IssuingController(ctx, options),
        lambda ctx: ReadinessController(ctx, options),
        lambda ctx: RevisionManagerController(ctx, options),
    ]
