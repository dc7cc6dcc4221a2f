"""Where a target's CA comes from, and the CA it should be given: pure decisions over what the
controller read, following cert-manager's cainjector rules.

Precedence when several annotations are set, as cert-manager: inject-ca-from-secret, then
inject-ca-from, then inject-apiserver-ca (only its value "true" counts).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from certpilot.api import annotations as ann
from certpilot.api.annotations import ALLOW_DIRECT_INJECTION
from certpilot.api.ca_injectables import (
    INJECT_APISERVER_CA,
    INJECT_CA_FROM,
    INJECT_CA_FROM_SECRET,
    ForeignResource,
)
from certpilot.api.certificate import Certificate
from certpilot.api.core import CA_CERT_KEY, Secret


class SourceKind(enum.Enum):
    SECRET = INJECT_CA_FROM_SECRET
    CERTIFICATE = INJECT_CA_FROM
    APISERVER = INJECT_APISERVER_CA


@dataclass(frozen=True)
class InjectionSource:
    """What a target's annotation names; namespace and name are empty for the API server's CA."""

    kind: SourceKind
    namespace: str = ""
    name: str = ""

    def __str__(self) -> str:
        if self.kind is SourceKind.APISERVER:
            return "the API server's CA"
        noun = "Secret" if self.kind is SourceKind.SECRET else "Certificate"
        return f"{noun} {self.namespace}/{self.name}"


@dataclass(frozen=True)
class CASources:
    """What the controller read for one target. `secret`: the Secret named by inject-ca-from-secret,
    or the Secret of the Certificate named by inject-ca-from."""

    certificate: Certificate | None = None
    secret: Secret | None = None
    apiserver_ca: bytes | None = None
    # Set when the controller runs for one namespace (`--namespace`): sources elsewhere are refused.
    scope_namespace: str | None = None


def split_namespaced_name(value: str) -> tuple[str, str]:
    """`namespace/name` → (namespace, name); a value without `/` has no namespace."""
    namespace, slash, name = value.partition("/")
    return (namespace, name) if slash else ("", value)


def injection_source(target: ForeignResource) -> InjectionSource | None:
    """The source the target's annotations name, or None when it asks for no injection."""
    annotations = target.metadata.annotations or {}
    for kind in (SourceKind.SECRET, SourceKind.CERTIFICATE):
        if kind.value in annotations:
            namespace, name = split_namespaced_name(annotations[kind.value])
            return InjectionSource(kind, namespace, name)
    if annotations.get(INJECT_APISERVER_CA) == "true":
        return InjectionSource(SourceKind.APISERVER)
    return None


def _unqualified(source: InjectionSource, sources: CASources) -> str | None:
    if source.kind is not SourceKind.APISERVER and not source.namespace:
        return f'annotation {source.kind.value} must be "namespace/name"; got {source.name!r}'
    return None


def _outside_scope(source: InjectionSource, sources: CASources) -> str | None:
    scope = sources.scope_namespace
    if source.kind is not SourceKind.APISERVER and scope and source.namespace != scope:
        return f"{source} is outside namespace {scope}, the only one certpilot serves (--namespace)"
    return None


def _certificate_missing(source: InjectionSource, sources: CASources) -> str | None:
    if source.kind is SourceKind.CERTIFICATE and sources.certificate is None:
        return f"{source} not found"
    return None


def _secret_missing(source: InjectionSource, sources: CASources) -> str | None:
    if source.kind is SourceKind.APISERVER or sources.secret is not None:
        return None
    if source.kind is SourceKind.CERTIFICATE and sources.certificate is not None:
        return f"the Secret {sources.certificate.spec.secret_name!r} of {source} does not exist yet"
    return f"{source} not found"


def _secret_of_another_certificate(source: InjectionSource, sources: CASources) -> str | None:
    """cert-manager refuses a Secret whose certificate-name annotation names another Certificate."""
    if source.kind is not SourceKind.CERTIFICATE or sources.secret is None:
        return None
    owner = (sources.secret.metadata.annotations or {}).get(ann.CERTIFICATE_NAME)
    if owner != source.name:
        return (
            f"Secret {sources.secret.namespace}/{sources.secret.name} is not written by {source} "
            f"(its {ann.CERTIFICATE_NAME} annotation is {owner!r})"
        )
    return None


def _direct_injection_not_allowed(source: InjectionSource, sources: CASources) -> str | None:
    if source.kind is not SourceKind.SECRET or sources.secret is None:
        return None
    if (sources.secret.metadata.annotations or {}).get(ALLOW_DIRECT_INJECTION) != "true":
        return f'{source} does not allow direct injection: annotate it {ALLOW_DIRECT_INJECTION}: "true"'
    return None


def _no_ca_data(source: InjectionSource, sources: CASources) -> str | None:
    if source.kind is SourceKind.APISERVER:
        return None if sources.apiserver_ca else "the connection to the API server names no CA to inject"
    if sources.secret is not None and not sources.secret.get_data(CA_CERT_KEY):
        return f"Secret {sources.secret.namespace}/{sources.secret.name} has no {CA_CERT_KEY}"
    return None


_REFUSALS = (
    _unqualified,
    _outside_scope,
    _certificate_missing,
    _secret_missing,
    _secret_of_another_certificate,
    _direct_injection_not_allowed,
    _no_ca_data,
)


def why_nothing_to_inject(source: InjectionSource, sources: CASources) -> str | None:
    """The first reason the source yields no CA, or None when it does."""
    for refusal in _REFUSALS:
        reason = refusal(source, sources)
        if reason is not None:
            return reason
    return None


def desired_ca_bundle(target: ForeignResource, sources: CASources) -> bytes | None:
    """The CA (PEM) the target's annotations ask for, or None when there is none to inject."""
    source = injection_source(target)
    if source is None or why_nothing_to_inject(source, sources) is not None:
        return None
    if source.kind is SourceKind.APISERVER:
        return sources.apiserver_ca
    if sources.secret is None:
        return None
    return sources.secret.get_data(CA_CERT_KEY)
