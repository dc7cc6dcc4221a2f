"""The CertificateRequest controllers `certpilot run` starts: the approver and the signer."""

from __future__ import annotations

from collections.abc import Callable

from certpilot.controllers.certificaterequests.approver import CertificateRequestApprover
from certpilot.controllers.certificaterequests.signer import CertificateRequestSigner
from certpilot.controllers.options import ControllerOptions
from certpilot.issuers.registry import IssuerBackends, builtin_backends
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import Reconciler


def build(
    options: ControllerOptions, backends: IssuerBackends | None = None
) -> list[Callable[[ControllerContext], Reconciler]]:
    chosen = backends or builtin_backends(options.acme_http_timeout)
    return [
        lambda ctx: CertificateRequestApprover(ctx, options, chosen),
        lambda ctx: CertificateRequestSigner(ctx, options, chosen),
    ]
