"""The shim controllers to run, as factories for the Manager."""

from __future__ import annotations

from collections.abc import Callable

from certpilot.api.gateway import Gateway, ListenerSet
from certpilot.api.ingress import Ingress
from certpilot.api.meta import Resource
from certpilot.controllers.shims.gateway_shim import GatewayShimController
from certpilot.controllers.shims.ingress_shim import IngressShimController
from certpilot.controllers.shims.listenerset_shim import ListenerSetShimController
from certpilot.controllers.shims.options import ShimOptions
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import Reconciler


def wanted_kinds(options: ShimOptions) -> list[type[Resource]]:
    """The source kinds the flags turn on (ListenerSets need the Gateway API switch too)."""
    kinds: list[type[Resource]] = [Ingress]
    if options.enable_gateway_api:
        kinds.append(Gateway)
        if options.enable_gateway_api_listenerset:
            kinds.append(ListenerSet)
    return kinds


def build(
    options: ShimOptions, served: set[type[Resource]]
) -> list[Callable[[ControllerContext], Reconciler]]:
    """A shim per wanted kind the cluster serves (a ListenerSet shim needs Gateways served too)."""
    factories: list[Callable[[ControllerContext], Reconciler]] = []
    kinds = [kind for kind in wanted_kinds(options) if kind in served]
    if Ingress in kinds:
        factories.append(lambda ctx: IngressShimController(ctx, options))
    if Gateway in kinds:
        factories.append(lambda ctx: GatewayShimController(ctx, options))
        if ListenerSet in kinds:
            factories.append(lambda ctx: ListenerSetShimController(ctx, options))
    return factories
