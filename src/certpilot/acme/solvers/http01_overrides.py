"""The HTTP-01 solver as an Order's annotations override it (ingress-shim and gateway-shim write
them on the Certificates they make, and they reach the Order through its CertificateRequest), as
cert-manager's acmeorders controller applies them before creating a Challenge:

- `http01-override-ingress-name`, `-class` or `-ingressclassname` (at most one) replaces the
  solver's name / class / ingressClassName, so the Ingress a Certificate came from serves the path;
- `http01-parentrefkind` and `http01-parentrefname` (both or neither, `http01-parentrefnamespace`
  optional) add the Gateway or ListenerSet a Certificate came from to the HTTPRoute's parentRefs,
  in place of the solver's own ref to the same object.
"""

from __future__ import annotations

from collections.abc import Mapping

from certpilot.api.acme_issuer import ACMEChallengeSolver, ParentReference
from certpilot.api.annotations import (
    HTTP01_OVERRIDE_INGRESS_CLASS,
    HTTP01_OVERRIDE_INGRESS_CLASS_NAME,
    HTTP01_OVERRIDE_INGRESS_NAME,
    HTTP01_PARENT_REF_KIND,
    HTTP01_PARENT_REF_NAME,
    HTTP01_PARENT_REF_NAMESPACE,
)

INGRESS_OVERRIDES = (
    HTTP01_OVERRIDE_INGRESS_NAME,
    HTTP01_OVERRIDE_INGRESS_CLASS,
    HTTP01_OVERRIDE_INGRESS_CLASS_NAME,
)


class InvalidSolverOverride(ValueError):
    """The Order's override annotations contradict each other; the message names them."""


def solver_with_overrides(
    solver: ACMEChallengeSolver, annotations: Mapping[str, str], namespace: str
) -> ACMEChallengeSolver:
    """A copy of `solver` with the annotations applied (the issuer's own solver is not changed)."""
    http01 = solver.http01
    if http01 is None or not annotations:
        return solver
    overridden = http01.model_copy(deep=True)
    if overridden.ingress is not None:
        given = [key for key in INGRESS_OVERRIDES if key in annotations]
        if len(given) > 1:
            raise InvalidSolverOverride(
                f"may not set more than one of the annotations {', '.join(given)}: keep one"
            )
        if given:
            ingress = overridden.ingress
            ingress.class_ = ingress.ingress_class_name = ingress.name = None
            value = annotations[given[0]]
            if given[0] == HTTP01_OVERRIDE_INGRESS_NAME:
                ingress.name = value
            elif given[0] == HTTP01_OVERRIDE_INGRESS_CLASS:
                ingress.class_ = value
            else:
                ingress.ingress_class_name = value
    if overridden.gateway_http_route is not None:
        route = overridden.gateway_http_route
        kind, name = annotations.get(HTTP01_PARENT_REF_KIND), annotations.get(HTTP01_PARENT_REF_NAME)
        if (kind is None) != (name is None):
            raise InvalidSolverOverride(
                f"set both {HTTP01_PARENT_REF_KIND} and {HTTP01_PARENT_REF_NAME}, or neither"
            )
        if kind is not None and name is not None:
            ref_namespace = annotations.get(HTTP01_PARENT_REF_NAMESPACE) or namespace
            route.parent_refs = [
                ref
                for ref in route.parent_refs or ()
                if not (ref.namespace == ref_namespace and ref.name == name and ref.kind in (None, kind))
            ] + [ParentReference(name=name, namespace=ref_namespace, kind=kind)]
        if not route.parent_refs:
            raise InvalidSolverOverride(
                "the gatewayHTTPRoute solver has no parentRefs: set them on the solver, or "
                f"{HTTP01_PARENT_REF_KIND} and {HTTP01_PARENT_REF_NAME} on the Certificate"
            )
    return solver.model_copy(deep=True, update={"http01": overridden})
