"""gateway-shim: Certificates for the TLS listeners of annotated Gateway API Gateways."""

from __future__ import annotations

from certpilot.api.gateway import Gateway
from certpilot.controllers.shims.controller import ShimController


class GatewayShimController(ShimController):
    kind = Gateway
    name = "gateway-shim"
