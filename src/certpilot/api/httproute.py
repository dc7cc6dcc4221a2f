"""gateway.networking.k8s.io/v1 HTTPRoute: the route an HTTP-01 solver (`gatewayHTTPRoute`) attaches
to a Gateway. Its spec is written whole by the solver's builder and compared as JSON; any field is
kept as it is."""

from __future__ import annotations

from typing import Any

from certpilot.api.foreign import ForeignModel
from certpilot.api.gateway import GATEWAY_API_VERSION
from certpilot.api.meta import Resource
from certpilot.api.registry import register


@register
class HTTPRoute(Resource, ForeignModel):
    API_VERSION = GATEWAY_API_VERSION
    KIND = "HTTPRoute"
    PLURAL = "httproutes"
    SINGULAR = "httproute"
    CACHED_BY_DEFAULT = False
    STANDALONE = False

    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None
