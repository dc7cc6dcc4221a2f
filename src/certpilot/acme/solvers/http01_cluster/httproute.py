"""The Gateway API HTTPRoute (`http01.gatewayHTTPRoute`) that attaches to the solver's parentRefs
and sends the token's exact path to the solver Service."""

from __future__ import annotations

from typing import Any

from certpilot.acme.solvers.http01_cluster.errors import Http01SolverMisconfigured
from certpilot.acme.solvers.http01_cluster.identity import (
    SOLVER_PORT,
    challenge_path,
    solver_labels,
    solver_metadata,
)
from certpilot.acme.solvers.http01_cluster.ingress import rule_host
from certpilot.acme.solvers.http01_cluster.settings import SolverSettings
from certpilot.api.acme import Challenge
from certpilot.api.acme_issuer import ACMEChallengeSolverHTTP01GatewayHTTPRoute
from certpilot.api.httproute import HTTPRoute


def gateway_solver_of(challenge: Challenge) -> ACMEChallengeSolverHTTP01GatewayHTTPRoute:
    http01 = challenge.spec.solver.http01
    if http01 is None or http01.gateway_http_route is None:
        raise Http01SolverMisconfigured(
            f"challenge {challenge.key}: its solver has no http01.gatewayHTTPRoute block"
        )
    return http01.gateway_http_route


def http_route_labels(challenge: Challenge, settings: SolverSettings) -> dict[str, str]:
    return {
        **solver_labels(challenge),
        **settings.added_labels(),
        **(gateway_solver_of(challenge).labels or {}),
    }


def http_route_spec(challenge: Challenge, service_name: str) -> dict[str, Any]:
    """Hostnames only for a DNS name: Gateway API hostnames cannot be IP addresses."""
    host = rule_host(challenge.spec.dns_name)
    spec: dict[str, Any] = {
        "parentRefs": [ref.to_dict() for ref in gateway_solver_of(challenge).parent_refs or ()],
        "rules": [
            {
                "matches": [{"path": {"type": "Exact", "value": challenge_path(challenge.spec.token)}}],
                "backendRefs": [
                    {
                        "group": "",
                        "kind": "Service",
                        "name": service_name,
                        "namespace": challenge.namespace,
                        "port": SOLVER_PORT,
                        "weight": 1,
                    }
                ],
            }
        ],
    }
    if host is not None:
        spec["hostnames"] = [host]
    return spec


def solver_http_route(challenge: Challenge, service_name: str, settings: SolverSettings) -> HTTPRoute:
    return HTTPRoute(
        metadata=solver_metadata(challenge, http_route_labels(challenge, settings)),
        spec=http_route_spec(challenge, service_name),
    )


def http_route_is_current(
    route: HTTPRoute, challenge: Challenge, service_name: str, settings: SolverSettings
) -> bool:
    """Whether the route carries the spec and labels the solver wants. The API server fills in
    defaults (a parentRef's group and kind, a match's headers...), so only the fields certpilot sets
    are compared."""
    wanted = http_route_spec(challenge, service_name)
    actual = route.spec or {}
    return route.metadata.labels == http_route_labels(challenge, settings) and all(
        _contains(actual.get(key), value) for key, value in wanted.items()
    )


def _contains(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(_contains(actual.get(k), v) for k, v in wanted.items())
    if isinstance(wanted, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(wanted)
            and all(_contains(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    return bool(actual == wanted)
