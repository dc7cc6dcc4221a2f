"""The issuer controllers `certpilot run` starts: readiness of Issuers and of ClusterIssuers."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from certpilot.api.issuer import ClusterIssuer, Issuer
from certpilot.api.meta import Resource
from certpilot.controllers.issuers.issuer_readiness import IssuerReadinessController
from certpilot.controllers.options import ControllerOptions
from certpilot.issuers.registry import IssuerBackends, builtin_backends
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import Reconciler


def build(
    options: ControllerOptions, backends: IssuerBackends | None = None
) -> list[Callable[[ControllerContext], Reconciler]]:
    chosen = backends or builtin_backends(options.acme_http_timeout)
    return [
        lambda ctx: IssuerReadinessController(ctx, options, chosen, Issuer),
        lambda ctx: IssuerReadinessController(ctx, options, chosen, ClusterIssuer),
        *(plugin_readiness(options, chosen, model) for p in chosen.plugins() for model in p.kinds),
    ]


def plugin_readiness(
    options: ControllerOptions, backends: IssuerBackends, model: type[Resource]
) -> Callable[[ControllerContext], Reconciler]:
    """Readiness of an issuer plugin's kind: the same controller, since plugin kinds share the
    Issuer shape that matters here (a `status` of certpilot.api.issuer.IssuerStatus)."""
    kind = cast("type[Issuer]", model)
    return lambda ctx: IssuerReadinessController(ctx, options, backends, kind)
