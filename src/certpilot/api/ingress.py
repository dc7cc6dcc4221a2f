"""networking.k8s.io/v1 Ingress: the fields ingress-shim reads; any other field is kept as it is."""

from __future__ import annotations

from typing import Any

from certpilot.api.foreign import ForeignModel
from certpilot.api.meta import Resource
from certpilot.api.registry import register


class IngressTLS(ForeignModel):
    hosts: list[str] | None = None
    secret_name: str | None = None


class IngressSpec(ForeignModel):
    ingress_class_name: str | None = None
    tls: list[IngressTLS] | None = None


@register
class Ingress(Resource, ForeignModel):
    API_VERSION = "networking.k8s.io/v1"
    KIND = "Ingress"
    PLURAL = "ingresses"
    SINGULAR = "ingress"
    SHORT_NAMES = ("ing",)
    CACHED_BY_DEFAULT = False
    STANDALONE = False

    spec: IngressSpec | None = None
    status: dict[str, Any] | None = None
