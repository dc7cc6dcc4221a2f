"""Settings of the shims (flags of `certpilot run` in Kubernetes mode), with cert-manager's defaults."""

from __future__ import annotations

from dataclasses import dataclass

from certpilot.api.defaults import DEFAULT_ISSUER_GROUP, DEFAULT_ISSUER_KIND


@dataclass(frozen=True)
class ShimOptions:
    # The issuer of Ingresses annotated only with kubernetes.io/tls-acme: "true" ("" = none).
    default_issuer_name: str = ""
    default_issuer_kind: str = DEFAULT_ISSUER_KIND
    default_issuer_group: str = DEFAULT_ISSUER_GROUP
    # gateway-shim for Gateways (off by default, as in cert-manager).
    enable_gateway_api: bool = False
    # ...and for ListenerSets (needs enable_gateway_api too).
    enable_gateway_api_listenerset: bool = False
