"""Finding the Issuer or ClusterIssuer an issuerRef names, and where its Secrets live."""

from __future__ import annotations

from certpilot.api.common import IssuerReference
from certpilot.api.issuer import AnyIssuer, ClusterIssuer, Issuer
from certpilot.api.meta import Resource
from certpilot.controllers.options import ControllerOptions
from certpilot.issuers.base import IssuerContext
from certpilot.runtime.context import CacheReader, ControllerContext

ISSUER_KIND = Issuer.KIND
CLUSTER_ISSUER_KIND = ClusterIssuer.KIND


def issuer_kind_of(ref: IssuerReference) -> str:
    """cert-manager's default: an unset kind means a namespaced Issuer."""
    return ref.kind or ISSUER_KIND


def issuer_model_for(ref: IssuerReference) -> type[Issuer] | type[ClusterIssuer] | None:
    """None for kinds certpilot does not know (external issuers)."""
    kind = issuer_kind_of(ref)
    if kind == ISSUER_KIND:
        return Issuer
    if kind == CLUSTER_ISSUER_KIND:
        return ClusterIssuer
    return None


def refers_to(ref: IssuerReference, request_namespace: str | None, issuer: Resource) -> bool:
    """Whether an issuerRef (of an object in request_namespace) names this issuer."""
    if ref.name != issuer.name or issuer_kind_of(ref) != issuer.KIND:
        return False
    return not issuer.NAMESPACED or request_namespace == issuer.namespace


def lookup_issuer(cache: CacheReader, ref: IssuerReference, namespace: str | None) -> AnyIssuer | None:
    model = issuer_model_for(ref)
    if model is None:
        return None
    return cache.get(model, ref.name, namespace if model.NAMESPACED else None)


def resource_namespace(issuer: Resource, options: ControllerOptions) -> str:
    """Where the issuer's referenced Secrets live: its own namespace, or the cluster resource
    namespace for a ClusterIssuer (cert-manager's --cluster-resource-namespace)."""
    if issuer.NAMESPACED:
        return issuer.namespace or ""
    return options.cluster_resource_namespace


def issuer_context(issuer: Resource, options: ControllerOptions, ctx: ControllerContext) -> IssuerContext:
    return IssuerContext(
        issuer=issuer,
        resource_namespace=resource_namespace(issuer, options),
        store=ctx.store,
        clock=ctx.clock,
    )
