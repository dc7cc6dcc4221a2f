"""The ACME controllers `certpilot run` starts: orders, the challenge scheduler, the challenges
and renewal information."""

from __future__ import annotations

from collections.abc import Callable

from certpilot.acme.solvers.dns01.webhook import SolverEndpoints
from certpilot.acme.solvers.http01_presenter import Http01Presenter
from certpilot.controllers.acme.challenge_scheduler import ChallengeScheduler
from certpilot.controllers.acme.challenges import ChallengeController
from certpilot.controllers.acme.orders import OrderController
from certpilot.controllers.acme.renewal_info import RenewalInfoController
from certpilot.controllers.acme.solving import SolverListeners
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import Reconciler


def build(
    options: ControllerOptions,
    listeners: SolverListeners | None = None,
    http01: Http01Presenter | None = None,
    dns01_webhooks: SolverEndpoints | None = None,
) -> list[Callable[[ControllerContext], Reconciler]]:
    """`listeners`: the daemon's HTTP-01 / TLS-ALPN-01 listeners, which the caller stops at shutdown
    (`await listeners.stop()`); by default, new ones from the options. `http01`: who answers HTTP-01
    (on a cluster, solver Pods); by default those listeners. `dns01_webhooks`: where DNS-01 webhook
    solvers are reached (on a cluster, the API server); by default `--dns01-webhook-url`."""
    shared = listeners or SolverListeners.from_options(options)
    return [
        lambda ctx: OrderController(ctx, options, http01_always_answered=http01 is not None),
        lambda ctx: ChallengeScheduler(ctx, options),
        lambda ctx: ChallengeController(ctx, options, shared, http01, dns01_webhooks),
        lambda ctx: RenewalInfoController(ctx, options),
    ]
