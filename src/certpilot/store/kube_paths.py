"""REST paths of the Kubernetes API for certpilot's resource models."""

from __future__ import annotations

from certpilot.api.meta import Resource
from certpilot.store.bodies import namespace_of


def collection_path(kind: type[Resource], namespace: str | None) -> str:
    """`.../<plural>` in one namespace, or across all of them when namespace is None."""
    prefix = "/api/v1" if kind.API_VERSION == "v1" else f"/apis/{kind.API_VERSION}"
    if kind.NAMESPACED and namespace is not None:
        return f"{prefix}/namespaces/{namespace}/{kind.PLURAL}"
    return f"{prefix}/{kind.PLURAL}"


def object_path(kind: type[Resource], name: str, namespace: str | None) -> str:
    if not name or "/" in name:
        raise ValueError(f"{kind.KIND} name {name!r} is not a valid object name")
    return f"{collection_path(kind, namespace_of(kind, namespace))}/{name}"
