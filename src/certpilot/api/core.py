"""Kubernetes core kinds certpilot reads and writes: Secret, Event, Namespace (core/v1) and Lease
(coordination.k8s.io/v1); ServiceAccount for its tokens."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime

from certpilot.api.common import ObjectReference
from certpilot.api.meta import ApiModel, Resource
from certpilot.api.registry import register
from certpilot.api.scalars import Bool, Int

TLS_SECRET_TYPE = "kubernetes.io/tls"  # noqa: S105 - a type name
TLS_CERT_KEY = "tls.crt"
TLS_PRIVATE_KEY_KEY = "tls.key"
CA_CERT_KEY = "ca.crt"


@register
class Secret(Resource):
    """`data` values are base64, as in Kubernetes JSON. The contents are secret: repr and str show
    only the key names, never the values of `data` or `stringData`."""

    API_VERSION = "v1"
    KIND = "Secret"
    PLURAL = "secrets"
    SINGULAR = "secret"
    HAS_STATUS = False

    type: str | None = None
    data: dict[str, str] | None = None
    string_data: dict[str, str] | None = None
    immutable: Bool | None = None

    def get_data(self, key: str) -> bytes | None:
        """The decoded value of `key`, from `data` or else `stringData`; None when absent."""
        if self.data is not None and key in self.data:
            return base64.b64decode(self.data[key])
        if self.string_data is not None and key in self.string_data:
            return self.string_data[key].encode()
        return None

    def set_data(self, key: str, value: bytes) -> None:
        self.update_data({key: value})

    def update_data(self, values: Mapping[str, bytes]) -> None:
        """Set several keys, encoded, in one new dict (cached Secrets share their parts: a dict is
        replaced, never changed in place)."""
        encoded = {key: base64.b64encode(value).decode("ascii") for key, value in values.items()}
        self.data = {**(self.data or {}), **encoded}

    def __repr_args__(self) -> list[tuple[str | None, object]]:
        hidden = {"data", "string_data"}
        args: list[tuple[str | None, object]] = [
            (name, value) for name, value in super().__repr_args__() if name not in hidden
        ]
        keys = sorted({*(self.data or {}), *(self.string_data or {})})
        args.append(("keys", keys))
        return args


class EventSource(ApiModel):
    component: str | None = None
    host: str | None = None


class EventSeries(ApiModel):
    count: Int | None = None
    last_observed_time: datetime | None = None


@register
class Event(Resource):
    API_VERSION = "v1"
    KIND = "Event"
    PLURAL = "events"
    SINGULAR = "event"
    SHORT_NAMES = ("ev",)
    HAS_STATUS = False

    involved_object: ObjectReference
    reason: str | None = None
    message: str | None = None
    type: str | None = None
    count: Int | None = None
    first_timestamp: datetime | None = None
    last_timestamp: datetime | None = None
    event_time: datetime | None = None
    series: EventSeries | None = None
    source: EventSource | None = None
    action: str | None = None
    related: ObjectReference | None = None
    reporting_component: str | None = None
    reporting_instance: str | None = None


class NamespaceSpec(ApiModel):
    finalizers: list[str] | None = None


class NamespaceStatus(ApiModel):
    phase: str | None = None


@register
class Namespace(Resource):
    """Accepted so cert-manager's examples, which often start with one, apply as they are. In the
    standalone store a namespace exists implicitly wherever an object names it; a Namespace object is
    only kept, so `get namespaces` lists what was applied. Nothing is deleted with it."""

    API_VERSION = "v1"
    KIND = "Namespace"
    PLURAL = "namespaces"
    SINGULAR = "namespace"
    SHORT_NAMES = ("ns",)
    NAMESPACED = False

    spec: NamespaceSpec | None = None
    status: NamespaceStatus | None = None


class ServiceAccount(Resource):
    """Only named, never read or written: its `token` subresource (the TokenRequest API) gives the
    Vault issuer's Kubernetes auth a bound token. Not registered, so not served by apply / get."""

    API_VERSION = "v1"
    KIND = "ServiceAccount"
    PLURAL = "serviceaccounts"
    SINGULAR = "serviceaccount"
    HAS_STATUS = False
    CACHED_BY_DEFAULT = False


class LeaseSpec(ApiModel):
    holder_identity: str | None = None
    lease_duration_seconds: Int | None = None
    acquire_time: datetime | None = None
    renew_time: datetime | None = None
    lease_transitions: Int | None = None
    strategy: str | None = None
    preferred_holder: str | None = None


@register
class Lease(Resource):
    API_VERSION = "coordination.k8s.io/v1"
    KIND = "Lease"
    PLURAL = "leases"
    SINGULAR = "lease"
    HAS_STATUS = False

    spec: LeaseSpec | None = None
