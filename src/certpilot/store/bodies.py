"""An object as the JSON body a store writes: its apiVersion and kind set, and its namespace as
Kubernetes scopes it (every backend writes the same body)."""

from __future__ import annotations

from typing import Any

from certpilot.api.defaults import DEFAULT_NAMESPACE
from certpilot.api.meta import Resource


def namespace_of(kind: type[Resource], namespace: str | None) -> str | None:
    """None for cluster-scoped kinds; namespaced kinds default to `default`, as kubectl does."""
    if not kind.NAMESPACED:
        return None
    return namespace or DEFAULT_NAMESPACE


def body_of(obj: Resource) -> dict[str, Any]:
    body = obj.to_dict()
    body["apiVersion"] = obj.API_VERSION
    body["kind"] = obj.KIND
    metadata = body.setdefault("metadata", {})
    scope = namespace_of(type(obj), obj.metadata.namespace)
    if scope:
        metadata["namespace"] = scope
    else:
        metadata.pop("namespace", None)
    return body
