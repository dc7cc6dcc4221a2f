"""The Service in front of a solver Pod, selecting it by the Challenge's labels."""

from __future__ import annotations

from certpilot.acme.solvers.http01_cluster.errors import Http01SolverMisconfigured
from certpilot.acme.solvers.http01_cluster.identity import SOLVER_PORT, solver_labels, solver_metadata
from certpilot.acme.solvers.http01_cluster.settings import SolverSettings
from certpilot.api.acme import Challenge
from certpilot.api.service import Service

DEFAULT_SERVICE_TYPE = "NodePort"
# Istio: no mutual TLS on the solver's port, the CA speaks plain HTTP.
SERVICE_ANNOTATIONS = {f"auth.istio.io/{SOLVER_PORT}": "NONE"}


def service_type_of(challenge: Challenge) -> str:
    """The solver's `serviceType`, NodePort when unset (as cert-manager, so ingress controllers that
    need a NodePort work unchanged)."""
    http01 = challenge.spec.solver.http01
    if http01 is not None and http01.ingress is not None:
        return http01.ingress.service_type or DEFAULT_SERVICE_TYPE
    if http01 is not None and http01.gateway_http_route is not None:
        return http01.gateway_http_route.service_type or DEFAULT_SERVICE_TYPE
    raise Http01SolverMisconfigured(
        f"challenge {challenge.key}: its HTTP-01 solver has neither http01.ingress nor "
        "http01.gatewayHTTPRoute: set one on the issuer's solver"
    )


def solver_service(challenge: Challenge, settings: SolverSettings) -> Service:
    labels = solver_labels(challenge)
    return Service(
        metadata=solver_metadata(challenge, {**labels, **settings.added_labels()}, dict(SERVICE_ANNOTATIONS)),
        spec={
            "type": service_type_of(challenge),
            "ports": [{"name": "http", "port": SOLVER_PORT, "targetPort": SOLVER_PORT}],
            "selector": labels,
        },
    )
