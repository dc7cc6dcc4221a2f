"""The CA injector's controllers, one per injectable kind (run on Kubernetes only)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from certpilot.api.ca_injectables import ForeignResource
from certpilot.controllers.cainjector.controller import CAInjectorController, CAInjectorSettings
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import Reconciler


def _factory(
    kind: type[ForeignResource], settings: CAInjectorSettings
) -> Callable[[ControllerContext], Reconciler]:
    return lambda ctx: CAInjectorController(ctx, kind, settings)


def build(
    settings: CAInjectorSettings, kinds: Iterable[type[ForeignResource]]
) -> list[Callable[[ControllerContext], Reconciler]]:
    return [_factory(kind, settings) for kind in kinds]
