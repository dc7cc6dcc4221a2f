"""The Ingress that routes the CA's request for the token to the solver Service: a new one per
Challenge, or (with `http01.ingress.name`) a path added to the user's own Ingress and removed after."""

from __future__ import annotations

import ipaddress

from certpilot.acme.solvers.http01_cluster.errors import Http01SolverMisconfigured
from certpilot.acme.solvers.http01_cluster.identity import (
    SOLVER_PORT,
    challenge_path,
    solver_labels,
    solver_metadata,
)
from certpilot.acme.solvers.http01_cluster.settings import SolverSettings
from certpilot.api.acme import Challenge
from certpilot.api.acme_issuer import (
    ACMEChallengeSolverHTTP01Ingress,
    ACMEChallengeSolverHTTP01IngressTemplate,
)
from certpilot.api.ingress import (
    HTTPIngressPath,
    HTTPIngressRuleValue,
    Ingress,
    IngressBackend,
    IngressRule,
    IngressServiceBackend,
    IngressSpec,
    ServiceBackendPort,
)

INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
# ingress-nginx may be set to refuse unknown sources; the CA's address is not known in advance.
WHITELIST_ANNOTATION = "nginx.ingress.kubernetes.io/whitelist-source-range"
WHITELIST_ALL = "0.0.0.0/0,::/0"


def ingress_solver_of(challenge: Challenge) -> ACMEChallengeSolverHTTP01Ingress:
    http01 = challenge.spec.solver.http01
    if http01 is None or http01.ingress is None:
        raise Http01SolverMisconfigured(
            f"challenge {challenge.key}: its solver has no http01.ingress block: set "
            "solvers[].http01.ingress on the issuer"
        )
    return http01.ingress


def ingress_path(token: str, service_name: str) -> HTTPIngressPath:
    """An Exact path (cert-manager's default since its ACMEHTTP01IngressPathTypeExact gate went
    beta): no other request reaches the solver."""
    return HTTPIngressPath(
        path=challenge_path(token),
        path_type="Exact",
        backend=IngressBackend(
            service=IngressServiceBackend(name=service_name, port=ServiceBackendPort(number=SOLVER_PORT))
        ),
    )


def rule_host(dns_name: str) -> str | None:
    """The rule's host: none for an IP address identifier, so the path answers on every host."""
    try:
        ipaddress.ip_address(dns_name)
    except ValueError:
        return dns_name
    return None


def solver_ingress(challenge: Challenge, service_name: str, settings: SolverSettings) -> Ingress:
    """The Ingress cert-manager creates for a Challenge, with the solver's ingressTemplate merged."""
    solver = ingress_solver_of(challenge)
    if solver.class_ is not None and solver.ingress_class_name is not None:
        raise Http01SolverMisconfigured(
            f"challenge {challenge.key}: http01.ingress sets both class and ingressClassName; "
            "the API server refuses an Ingress with both: keep one"
        )
    annotations = {WHITELIST_ANNOTATION: WHITELIST_ALL}
    if solver.class_ is not None:
        annotations[INGRESS_CLASS_ANNOTATION] = solver.class_
    ingress = Ingress(
        metadata=solver_metadata(
            challenge, {**solver_labels(challenge), **settings.added_labels()}, annotations
        ),
        spec=IngressSpec(
            ingress_class_name=solver.ingress_class_name,
            rules=[
                IngressRule(
                    host=rule_host(challenge.spec.dns_name),
                    http=HTTPIngressRuleValue(paths=[ingress_path(challenge.spec.token, service_name)]),
                )
            ],
        ),
    )
    if solver.ingress_template is not None:
        merge_ingress_template(ingress, solver.ingress_template)
    return ingress


def merge_ingress_template(ingress: Ingress, template: ACMEChallengeSolverHTTP01IngressTemplate) -> None:
    """Labels and annotations added; a template's own `*/whitelist-source-range` annotation (for any
    ingress controller's prefix) replaces the default one."""
    if template.metadata is None:
        return
    ingress.metadata.labels = {**(ingress.metadata.labels or {}), **(template.metadata.labels or {})}
    annotations = dict(ingress.metadata.annotations or {})
    for key, value in (template.metadata.annotations or {}).items():
        if key.rpartition("/")[2] == "whitelist-source-range":
            annotations.pop(WHITELIST_ANNOTATION, None)
        annotations[key] = value
    ingress.metadata.annotations = annotations


def ingress_service_name(ingress: Ingress) -> str | None:
    """The Service a solver Ingress sends its one path to."""
    try:
        backend = ingress.spec.rules[0].http.paths[0].backend  # type: ignore[union-attr,index]
    except (IndexError, TypeError, AttributeError):
        return None
    return backend.service.name if backend is not None and backend.service is not None else None


def with_challenge_path(existing: Ingress, challenge: Challenge, service_name: str) -> Ingress | None:
    """The user's Ingress with the token's path first in the rule for the Challenge's host (a rule
    added when there is none; a stale path for the token replaced), or None when it is there already."""
    wanted = ingress_path(challenge.spec.token, service_name)
    ingress = existing.model_copy(deep=True)
    spec = ingress.spec = ingress.spec or IngressSpec()
    for rule in spec.rules or ():
        if rule.host != challenge.spec.dns_name:
            continue
        http = rule.http = rule.http or HTTPIngressRuleValue(paths=[])
        for index, path in enumerate(http.paths):
            if path.path == wanted.path:
                if _same_backend(path, wanted):
                    return None
                http.paths[index] = wanted
                return ingress
        http.paths.insert(0, wanted)
        return ingress
    spec.rules = [
        *(spec.rules or ()),
        IngressRule(host=challenge.spec.dns_name, http=HTTPIngressRuleValue(paths=[wanted])),
    ]
    return ingress


def without_challenge_path(existing: Ingress, challenge: Challenge) -> Ingress | None:
    """The user's Ingress with the token's path gone from the Challenge's host (a rule left with no
    path goes too), or None when there was nothing to remove."""
    ingress = existing.model_copy(deep=True)
    if ingress.spec is None or not ingress.spec.rules:
        return None
    unwanted = challenge_path(challenge.spec.token)
    kept: list[IngressRule] = []
    removed = False
    for rule in ingress.spec.rules:
        if rule.host != challenge.spec.dns_name or rule.http is None:
            kept.append(rule)
            continue
        paths = [path for path in rule.http.paths if path.path != unwanted]
        removed = removed or len(paths) != len(rule.http.paths)
        rule.http.paths = paths
        if paths:
            kept.append(rule)
    if not removed:
        return None
    ingress.spec.rules = kept or None
    return ingress


def _same_backend(path: HTTPIngressPath, wanted: HTTPIngressPath) -> bool:
    def target(p: HTTPIngressPath) -> object:
        service = p.backend.service if p.backend is not None else None
        return None if service is None else (service.name, service.port)

    return target(path) == target(wanted)
