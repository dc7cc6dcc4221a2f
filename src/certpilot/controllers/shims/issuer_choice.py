"""Whether a source object asks for certificates, and from which issuer (cert-manager's
hasShimAnnotation and issuerForIngressLike)."""

from __future__ import annotations

from collections.abc import Mapping

from certpilot.api import annotations as keys
from certpilot.api.common import IssuerReference
from certpilot.api.issuer import ClusterIssuer, Issuer
from certpilot.controllers.shims.bad_config import BadConfig
from certpilot.controllers.shims.options import ShimOptions

# Ingress annotations that ask for a certificate from the default issuer when "true".
AUTO_CERTIFICATE_ANNOTATIONS = (keys.KUBERNETES_TLS_ACME,)


def asks_for_certificates(annotations: Mapping[str, str], auto_annotations: tuple[str, ...]) -> bool:
    """An issuer or cluster-issuer annotation (any value), or one of auto_annotations set to true."""
    if keys.INGRESS_ISSUER in annotations or keys.INGRESS_CLUSTER_ISSUER in annotations:
        return True
    return any(annotations.get(key, "").strip().lower() in ("true", "1", "t") for key in auto_annotations)


def issuer_for(annotations: Mapping[str, str], defaults: ShimOptions) -> IssuerReference:
    """The issuerRef of the Certificates: the annotations over the --default-issuer-* flags.
    Raises BadConfig naming the annotations that conflict, or when no issuer name is known."""
    name, kind, group = (
        defaults.default_issuer_name,
        defaults.default_issuer_kind,
        defaults.default_issuer_group,
    )
    if keys.INGRESS_ISSUER in annotations:
        name, kind = annotations[keys.INGRESS_ISSUER], Issuer.KIND
    if keys.INGRESS_CLUSTER_ISSUER in annotations:
        name, kind = annotations[keys.INGRESS_CLUSTER_ISSUER], ClusterIssuer.KIND
    kind = annotations.get(keys.INGRESS_ISSUER_KIND, kind)
    group = annotations.get(keys.INGRESS_ISSUER_GROUP, group)
    problems = []
    if not name:
        problems.append(
            f"no issuer: set {keys.INGRESS_ISSUER} or {keys.INGRESS_CLUSTER_ISSUER}, "
            "or start certpilot with --default-issuer-name"
        )
    if keys.INGRESS_ISSUER in annotations and keys.INGRESS_CLUSTER_ISSUER in annotations:
        problems.append(f"both {keys.INGRESS_ISSUER} and {keys.INGRESS_CLUSTER_ISSUER} are set; keep one")
    for conflicting in (keys.INGRESS_ISSUER_GROUP, keys.INGRESS_ISSUER_KIND):
        if keys.INGRESS_CLUSTER_ISSUER in annotations and conflicting in annotations:
            problems.append(f"{keys.INGRESS_CLUSTER_ISSUER} may not be combined with {conflicting}")
    if problems:
        raise BadConfig("could not determine the issuer: " + "; ".join(problems))
    return IssuerReference(name=name, kind=kind or None, group=group or None)
