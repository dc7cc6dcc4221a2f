"""ingress-shim: Certificates for annotated networking.k8s.io/v1 Ingresses."""

from __future__ import annotations

from certpilot.api.ingress import Ingress
from certpilot.controllers.shims.controller import ShimController
from certpilot.controllers.shims.issuer_choice import AUTO_CERTIFICATE_ANNOTATIONS


class IngressShimController(ShimController):
    kind = Ingress
    name = "ingress-shim"
    auto_annotations = AUTO_CERTIFICATE_ANNOTATIONS
