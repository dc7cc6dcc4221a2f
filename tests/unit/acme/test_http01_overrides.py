"""The Order annotations ingress-shim and gateway-shim write, applied to the HTTP-01 solver as
cert-manager's acmeorders controller applies them (pkg/controller/acmeorders/util.go)."""

from __future__ import annotations

from typing import Any

import pytest

from certpilot.acme.solvers.http01_overrides import InvalidSolverOverride, solver_with_overrides
from certpilot.api.acme_issuer import ACMEChallengeSolver

NAME = "acme.cert-manager.io/http01-override-ingress-name"
CLASS = "acme.cert-manager.io/http01-override-ingress-class"
CLASS_NAME = "acme.cert-manager.io/http01-override-ingress-ingressclassname"
KIND = "acme.cert-manager.io/http01-parentrefkind"
REF_NAME = "acme.cert-manager.io/http01-parentrefname"
REF_NAMESPACE = "acme.cert-manager.io/http01-parentrefnamespace"


def solver(http01: dict[str, Any]) -> ACMEChallengeSolver:
    return ACMEChallengeSolver.model_validate({"http01": http01})


def ingress_of(result: ACMEChallengeSolver) -> dict[str, Any]:
    assert result.http01 is not None and result.http01.ingress is not None
    return result.http01.ingress.to_dict()


@pytest.mark.parametrize(
    ("annotations", "ingress"),
    [
        ({NAME: "web"}, {"name": "web", "serviceType": "ClusterIP"}),
        ({CLASS: "traefik"}, {"class": "traefik", "serviceType": "ClusterIP"}),
        ({CLASS_NAME: "nginx"}, {"ingressClassName": "nginx", "serviceType": "ClusterIP"}),
        ({"other": "x"}, {"ingressClassName": "issuer-class", "serviceType": "ClusterIP"}),
    ],
)
def test_one_ingress_override_replaces_name_class_and_ingress_class_name(
    annotations: dict[str, str], ingress: dict[str, Any]
) -> None:
    issuers = solver({"ingress": {"ingressClassName": "issuer-class", "serviceType": "ClusterIP"}})
    assert ingress_of(solver_with_overrides(issuers, annotations, "team")) == ingress
    assert ingress_of(issuers) == {"ingressClassName": "issuer-class", "serviceType": "ClusterIP"}


def test_two_ingress_overrides_are_refused_naming_them() -> None:
    with pytest.raises(InvalidSolverOverride, match="http01-override-ingress-name"):
        solver_with_overrides(solver({"ingress": {}}), {NAME: "web", CLASS: "nginx"}, "team")


def test_a_parent_ref_override_replaces_the_solvers_ref_to_the_same_object() -> None:
    issuers = solver(
        {
            "gatewayHTTPRoute": {
                "parentRefs": [
                    {"name": "gw", "namespace": "team"},
                    {"name": "other", "namespace": "infra", "kind": "Gateway"},
                ]
            }
        }
    )
    result = solver_with_overrides(issuers, {KIND: "Gateway", REF_NAME: "gw"}, "team")
    assert result.http01 is not None and result.http01.gateway_http_route is not None
    assert [r.to_dict() for r in result.http01.gateway_http_route.parent_refs or ()] == [
        {"name": "other", "namespace": "infra", "kind": "Gateway"},
        {"name": "gw", "namespace": "team", "kind": "Gateway"},
    ]
    listener_set = solver_with_overrides(
        solver({"gatewayHTTPRoute": {}}), {KIND: "ListenerSet", REF_NAME: "ls", REF_NAMESPACE: "edge"}, "team"
    )
    assert listener_set.http01 is not None and listener_set.http01.gateway_http_route is not None
    assert [r.to_dict() for r in listener_set.http01.gateway_http_route.parent_refs or ()] == [
        {"name": "ls", "namespace": "edge", "kind": "ListenerSet"}
    ]


@pytest.mark.parametrize(
    ("annotations", "message"),
    [({KIND: "Gateway"}, "or neither"), ({}, "has no parentRefs")],
)
def test_a_half_parent_ref_override_or_no_parent_ref_at_all_is_refused(
    annotations: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidSolverOverride, match=message):
        solver_with_overrides(solver({"gatewayHTTPRoute": {}}), {"x": "y", **annotations}, "team")
