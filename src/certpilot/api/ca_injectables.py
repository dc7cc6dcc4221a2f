"""Kinds of other API groups whose `caBundle` the CA injector keeps in sync, as cert-manager's
cainjector does: Validating/MutatingWebhookConfiguration (admissionregistration.k8s.io/v1),
CustomResourceDefinition (apiextensions.k8s.io/v1) and APIService (apiregistration.k8s.io/v1).

These are Kubernetes' own kinds, not certpilot's: the models name only the fields the injector
reads or writes and keep every other field exactly as the API server sent it (extra="allow" at
every level), so an object read, given a new caBundle and written back loses nothing. `caBundle`
is base64 of PEM, as in Kubernetes JSON.
"""

from __future__ import annotations

import base64
from typing import Any

from pydantic import ConfigDict

from certpilot.api.foreign import ForeignModel
from certpilot.api.meta import Resource
from certpilot.api.registry import register

# The annotations that ask for injection, and the one a Secret needs to be injected directly.
INJECT_CA_FROM = "cert-manager.io/inject-ca-from"
INJECT_CA_FROM_SECRET = "cert-manager.io/inject-ca-from-secret"  # noqa: S105 - an annotation key
INJECT_APISERVER_CA = "cert-manager.io/inject-apiserver-ca"
INJECTION_ANNOTATIONS = (INJECT_CA_FROM, INJECT_CA_FROM_SECRET, INJECT_APISERVER_CA)


class ForeignResource(Resource):
    """A kind certpilot only injects into: cached only when the CA injector runs, and only on a
    cluster (`certpilot apply` refuses it)."""

    model_config = ConfigDict(extra="allow")
    HAS_STATUS = False
    NAMESPACED = False
    CACHED_BY_DEFAULT = False
    STANDALONE = False


def decode_bundle(value: str | None) -> bytes:
    return base64.b64decode(value) if value else b""


def encode_bundle(pem: bytes) -> str:
    return base64.b64encode(pem).decode("ascii")


class WebhookClientConfig(ForeignModel):
    url: str | None = None
    service: dict[str, Any] | None = None
    ca_bundle: str | None = None


class Webhook(ForeignModel):
    name: str
    client_config: WebhookClientConfig


class WebhookConfiguration(ForeignResource):
    webhooks: list[Webhook] | None = None


@register
class ValidatingWebhookConfiguration(WebhookConfiguration):
    API_VERSION = "admissionregistration.k8s.io/v1"
    KIND = "ValidatingWebhookConfiguration"
    PLURAL = "validatingwebhookconfigurations"
    SINGULAR = "validatingwebhookconfiguration"


@register
class MutatingWebhookConfiguration(WebhookConfiguration):
    API_VERSION = "admissionregistration.k8s.io/v1"
    KIND = "MutatingWebhookConfiguration"
    PLURAL = "mutatingwebhookconfigurations"
    SINGULAR = "mutatingwebhookconfiguration"


class WebhookConversion(ForeignModel):
    client_config: WebhookClientConfig | None = None


class CustomResourceConversion(ForeignModel):
    strategy: str | None = None
    webhook: WebhookConversion | None = None


class CustomResourceDefinitionSpec(ForeignModel):
    conversion: CustomResourceConversion | None = None


@register
class CustomResourceDefinition(ForeignResource):
    API_VERSION = "apiextensions.k8s.io/v1"
    KIND = "CustomResourceDefinition"
    PLURAL = "customresourcedefinitions"
    SINGULAR = "customresourcedefinition"
    SHORT_NAMES = ("crd", "crds")
    HAS_STATUS = True

    spec: CustomResourceDefinitionSpec
    status: dict[str, Any] | None = None


class APIServiceSpec(ForeignModel):
    ca_bundle: str | None = None


@register
class APIService(ForeignResource):
    API_VERSION = "apiregistration.k8s.io/v1"
    KIND = "APIService"
    PLURAL = "apiservices"
    SINGULAR = "apiservice"
    HAS_STATUS = True

    spec: APIServiceSpec
    status: dict[str, Any] | None = None


INJECTABLE_KINDS: tuple[type[ForeignResource], ...] = (
    ValidatingWebhookConfiguration,
    MutatingWebhookConfiguration,
    CustomResourceDefinition,
    APIService,
)
