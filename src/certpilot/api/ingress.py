"""networking.k8s.io/v1 Ingress: the fields ingress-shim reads and the HTTP-01 solver writes (its
rules); any other field is kept as it is."""

from __future__ import annotations

from typing import Any

from certpilot.api.foreign import ForeignModel
from certpilot.api.meta import Resource
from certpilot.api.registry import register
from certpilot.api.scalars import Int


class IngressTLS(ForeignModel):
    hosts: list[str] | None = None
    secret_name: str | None = None


class ServiceBackendPort(ForeignModel):
    name: str | None = None
    number: Int | None = None


class IngressServiceBackend(ForeignModel):
    name: str
    port: ServiceBackendPort | None = None


class IngressBackend(ForeignModel):
    service: IngressServiceBackend | None = None


class HTTPIngressPath(ForeignModel):
    path: str | None = None
    path_type: str | None = None
    backend: IngressBackend | None = None


class HTTPIngressRuleValue(ForeignModel):
    paths: list[HTTPIngressPath]


class IngressRule(ForeignModel):
    host: str | None = None
    http: HTTPIngressRuleValue | None = None


class IngressSpec(ForeignModel):
    ingress_class_name: str | None = None
    rules: list[IngressRule] | None = None
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
