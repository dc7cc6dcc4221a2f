"""The Store on a Kubernetes API server: CRDs for certpilot's kinds, core Secrets, Events, Leases.

The API server owns every rule the SQLite backend implements itself: resourceVersions and
optimistic concurrency, generation, the status subresource, finalizers, and (through
kube-controller-manager's garbage collector) cascading deletion by ownerReferences.

Requests go out over aiohttp with lightkube's view of the kubeconfig (kube_connection.py,
kube_transport.py), with paths built from certpilot's own models, and answers are read straight
into those pydantic models: decoding through lightkube's generic resources first would parse every
object twice.
"""

from __future__ import annotations

import asyncio
import builtins
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import ValidationError

from certpilot.api.core import ServiceAccount
from certpilot.api.meta import Resource
from certpilot.store.bodies import body_of, namespace_of
from certpilot.store.errors import Conflict, Invalid, NotFound, Unavailable
from certpilot.store.kube_connection import KubeConnection
from certpilot.store.kube_errors import store_error
from certpilot.store.kube_paths import collection_path, object_path
from certpilot.store.kube_transport import Answer, KubeTransport, TransportFailure
from certpilot.store.kube_watch import WatchRequest, watch_stream
from certpilot.store.protocol import WatchEvent
from certpilot.store.selectors import parse_label_selector

T = TypeVar("T", bound=Resource)

log = logging.getLogger(__name__)

# 429 (API Priority and Fairness) answers are retried this often, after their Retry-After.
_THROTTLED_ATTEMPTS = 5
# Objects per list request; the API server hands the rest out with a continue token.
LIST_PAGE = 500
# update() of an object without a resourceVersion (an unconditional update) re-reads it this often.
_BLIND_UPDATE_ATTEMPTS = 5
# Metadata the API server sets on create; sent anyway, some of it is refused.
_SERVER_OWNED_METADATA = ("resourceVersion", "uid", "creationTimestamp", "deletionTimestamp", "generation")


class UndecodableObject(Invalid):
    """An object the API server holds that certpilot's models refuse (a field they do not know)."""


class KubernetesStore:
    """`namespace`: serve one namespace only (lists and watches of namespaced kinds stay in it), as
    `certpilot run --namespace` asks; None serves the whole cluster."""

    def __init__(
        self, connection: KubeConnection, *, namespace: str | None = None, list_page_size: int = LIST_PAGE
    ) -> None:
        self.connection = connection
        self.namespace = namespace
        self._list_page = str(list_page_size)
        self._transport = KubeTransport(connection)
        self._closed = False
        # Discovery answers by group-version path: the resource names served there.
        self._discovered: dict[str, set[str]] = {}
        # Requests sent, by (HTTP method, resource): for benchmarks and /metrics.
        self.requests: Counter[tuple[str, str]] = Counter()

    async def get(self, kind: type[T], name: str, namespace: str | None = None) -> T:
        body = await self._request("GET", kind, object_path(kind, name, namespace))
        return _decoded_or_raise(kind, body)

    async def list(
        self,
        kind: type[T],
        namespace: str | None = None,
        label_selector: str | None = None,
    ) -> tuple[builtins.list[T], str]:
        parse_label_selector(label_selector)  # refused here, with the Store's error, as SQLite does
        path = collection_path(kind, self._scope(kind, namespace))
        items: builtins.list[T] = []
        params = {"limit": self._list_page}
        if label_selector:
            params["labelSelector"] = label_selector
        # In pages, as client-go's reflector lists: one answer of thousands of Secrets would be held
        # whole, as text and as parsed JSON, while it is decoded.
        while True:
            answer = json.loads(await self._request("GET", kind, path, params=params))
            items.extend(item for body in answer.get("items") or () if (item := decode_object(kind, body)))
            metadata = answer.get("metadata") or {}
            if not metadata.get("continue"):
                break
            params = {**params, "continue": str(metadata["continue"])}
        items.sort(key=lambda o: (o.namespace or "", o.name))
        return items, str(metadata.get("resourceVersion") or "")

    async def watch(
        self, kind: type[T], resource_version: str | None = None, label_selector: str | None = None
    ) -> AsyncIterator[WatchEvent[T]]:
        """Changes after resource_version; without one, what exists first (ADDED), as SQLite does.
        With label_selector, objects that stop matching arrive as DELETED (the server does this)."""
        parse_label_selector(label_selector)
        if resource_version in (None, "", "0"):
            items, resource_version = await self.list(kind, label_selector=label_selector)
            # Consumed by pop(): the listing is not kept alive for as long as the watch lasts.
            items.reverse()
            while items:
                yield WatchEvent("ADDED", items.pop())
        request = WatchRequest(kind, collection_path(kind, self._scope(kind, None)), label_selector)
        self.requests["WATCH", kind.PLURAL] += 1
        async for event in watch_stream(
            self._transport, request, kind, str(resource_version), decode_object, lambda: self._closed
        ):
            yield event

    async def create(self, obj: T) -> T:
        kind = type(obj)
        body = body_of(obj)
        metadata = body["metadata"]
        if not metadata.get("name") and not metadata.get("generateName"):
            raise Invalid(f"{kind.KIND}: metadata.name or metadata.generateName is required")
        for server_owned in _SERVER_OWNED_METADATA:
            metadata.pop(server_owned, None)
        if kind.HAS_STATUS:
            body.pop("status", None)
        path = collection_path(kind, namespace_of(kind, obj.metadata.namespace))
        return _decoded_or_raise(kind, await self._request("POST", kind, path, body=body))

    async def update(self, obj: T) -> T:
        return await self._put(obj, subresource="")

    async def update_status(self, obj: T) -> T:
        if not obj.HAS_STATUS:
            raise Invalid(f"{obj.KIND} has no status subresource: use update()")
        return await self._put(obj, subresource="/status")

    async def delete(self, kind: type[T], name: str, namespace: str | None = None) -> None:
        # Background: the object goes now (or waits for its finalizers), the garbage collector
        # removes its dependents after it, as `kubectl delete` does.
        options = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
        await self._request("DELETE", kind, object_path(kind, name, namespace), body=options)

    async def serves(self, kind: type[Resource]) -> bool:
        """Whether the API server serves this kind (for kinds of other projects: is their CRD
        installed?), from the discovery document of its group version."""
        path = "/api/v1" if kind.API_VERSION == "v1" else f"/apis/{kind.API_VERSION}"
        served = self._discovered.get(path)
        if served is None:
            try:
                answer = json.loads(await self._request("GET", kind, path))
            except NotFound:
                answer = {}
            served = self._discovered[path] = {str(r.get("name")) for r in answer.get("resources") or ()}
        return kind.PLURAL in served

    async def request_service_account_token(
        self, namespace: str, service_account: str, audiences: Sequence[str], expiration_seconds: int
    ) -> str:
        """A bound token from the TokenRequest API (POST .../serviceaccounts/NAME/token)."""
        request = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"audiences": list(audiences), "expirationSeconds": expiration_seconds},
        }
        path = object_path(ServiceAccount, service_account, namespace) + "/token"
        answer = json.loads(await self._request("POST", ServiceAccount, path, body=request))
        token = (answer.get("status") or {}).get("token")
        if not isinstance(token, str) or not token:
            raise Invalid(f"POST {path}: the API server answered without a token")
        return token

    async def post_raw(self, path: str, body: bytes) -> Answer:
        """POST `body` to any API path with the store's credentials (an aggregated API's resource, such
        as a DNS-01 webhook solver) and return the answer whatever its status: the caller reads its
        own kind of error body. Raises Unavailable when the API server cannot be reached."""
        if self._closed:
            raise Unavailable("the Kubernetes store is closed")
        try:
            return await self._transport.request("POST", path, body=body)
        except TransportFailure as error:
            raise Unavailable(
                f"POST {path}: cannot reach the Kubernetes API at {self.connection.server}: {error}"
            ) from None

    async def close(self) -> None:
        self._closed = True
        await self._transport.close()

    async def _put(self, obj: T, *, subresource: str) -> T:
        """PUT the object; without a resourceVersion, an unconditional write (Kubernetes refuses
        those for custom resources, so it is done here: read the current version, retry on Conflict)."""
        kind = type(obj)
        path = object_path(kind, obj.name, obj.metadata.namespace) + subresource
        body = body_of(obj)
        if body["metadata"].get("resourceVersion"):
            return _decoded_or_raise(kind, await self._request("PUT", kind, path, body=body))
        for _ in range(_BLIND_UPDATE_ATTEMPTS):
            current = await self.get(kind, obj.name, obj.metadata.namespace)
            body["metadata"]["resourceVersion"] = current.metadata.resource_version
            try:
                return _decoded_or_raise(kind, await self._request("PUT", kind, path, body=body))
            except Conflict:
                continue
        raise Conflict(f"{kind.KIND} {obj.key} kept changing during {_BLIND_UPDATE_ATTEMPTS} blind updates")

    def _scope(self, kind: type[Resource], namespace: str | None) -> str | None:
        if not kind.NAMESPACED:
            return None
        return namespace if namespace is not None else self.namespace

    async def _request(
        self,
        method: str,
        kind: type[Resource],
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> bytes:
        if self._closed:
            raise Unavailable("the Kubernetes store is closed")
        content = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        for attempt in range(_THROTTLED_ATTEMPTS):
            self.requests[method, kind.PLURAL] += 1
            try:
                answer = await self._transport.request(method, path, params=params, body=content)
            except TransportFailure as error:
                raise Unavailable(
                    f"{method} {path}: cannot reach the Kubernetes API at {self.connection.server}: {error}"
                ) from None
            if answer.status == 429 and attempt + 1 < _THROTTLED_ATTEMPTS:
                await asyncio.sleep(_retry_after(answer.headers))
                continue
            if answer.status >= 400:
                raise store_error(answer.status, answer.body, f"{method} {path}")
            return answer.body
        raise AssertionError("unreachable: the last attempt returns or raises")


def decode_object(kind: type[T], body: dict[str, Any]) -> T | None:
    """The model of a body from the API server; None (logged, naming the object and the field)
    when certpilot's model refuses it, so one odd object never stops a list or a watch."""
    try:
        return kind.model_validate(body)
    except ValidationError as error:
        log.error("%s", _undecodable(kind, body, error))
        return None


def _decoded_or_raise(kind: type[T], content: bytes) -> T:
    try:
        return kind.model_validate_json(content)
    except ValidationError as error:
        raise _undecodable(kind, json.loads(content), error) from None


def _undecodable(kind: type[Resource], body: dict[str, Any], error: ValidationError) -> UndecodableObject:
    metadata = body.get("metadata") or {}
    where = "/".join(filter(None, (metadata.get("namespace"), metadata.get("name"))))
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    return UndecodableObject(
        f"{kind.KIND} {where}: field {field}: {first['msg']} (certpilot does not understand this object; "
        "it is left untouched)"
    )


def _retry_after(headers: Mapping[str, str]) -> float:
    try:
        return min(10.0, max(0.1, float(headers.get("Retry-After", "1"))))
    except ValueError:
        return 1.0


__all__ = ["KubernetesStore", "NotFound", "UndecodableObject"]
