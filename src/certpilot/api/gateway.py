"""gateway.networking.k8s.io/v1 Gateway and ListenerSet: the listener fields gateway-shim reads;
any other field is kept as it is."""

from __future__ import annotations

from typing import Any

from certpilot.api.foreign import ForeignModel
from certpilot.api.meta import Resource
from certpilot.api.registry import register
from certpilot.api.scalars import Int

GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1"
# Listener protocols that terminate TLS; certificates are issued for no other.
TLS_PROTOCOLS = ("HTTPS", "TLS")
TLS_MODE_TERMINATE = "Terminate"
TLS_MODE_PASSTHROUGH = "Passthrough"


class SecretObjectReference(ForeignModel):
    """A listener's certificateRef; group "" (core) and kind Secret when unset."""

    name: str
    group: str | None = None
    kind: str | None = None
    namespace: str | None = None


class GatewayTLSConfig(ForeignModel):
    mode: str | None = None
    certificate_refs: list[SecretObjectReference] | None = None


class Listener(ForeignModel):
    """A Gateway listener, and a ListenerSet's listener entry (the same fields)."""

    name: str
    protocol: str
    port: Int | None = None
    hostname: str | None = None
    tls: GatewayTLSConfig | None = None


class GatewaySpec(ForeignModel):
    gateway_class_name: str | None = None
    listeners: list[Listener] | None = None


@register
class Gateway(Resource, ForeignModel):
    API_VERSION = GATEWAY_API_VERSION
    KIND = "Gateway"
    PLURAL = "gateways"
    SINGULAR = "gateway"
    SHORT_NAMES = ("gtw",)
    CACHED_BY_DEFAULT = False
    STANDALONE = False

    spec: GatewaySpec | None = None
    status: dict[str, Any] | None = None


class ParentGatewayReference(ForeignModel):
    """The Gateway a ListenerSet attaches its listeners to (same namespace when unset)."""

    name: str
    group: str | None = None
    kind: str | None = None
    namespace: str | None = None


class ListenerSetSpec(ForeignModel):
    parent_ref: ParentGatewayReference | None = None
    listeners: list[Listener] | None = None


@register
class ListenerSet(Resource, ForeignModel):
    """Listeners added to a Gateway from another object (Gateway API v1.5+, standard channel);
    cert-manager v1.20 serves it behind --enable-gateway-api-listenerset."""

    API_VERSION = GATEWAY_API_VERSION
    KIND = "ListenerSet"
    PLURAL = "listenersets"
    SINGULAR = "listenerset"
    SHORT_NAMES = ("lset",)
    CACHED_BY_DEFAULT = False
    STANDALONE = False

    spec: ListenerSetSpec | None = None
    status: dict[str, Any] | None = None
