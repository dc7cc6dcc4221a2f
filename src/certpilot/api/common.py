"""Small structs shared by several cert-manager kinds."""

from __future__ import annotations

from certpilot.api.meta import ApiModel


class IssuerReference(ApiModel):
    """Which Issuer / ClusterIssuer (or external issuer) signs; kind defaults to Issuer, group to
    cert-manager.io."""

    name: str
    kind: str | None = None
    group: str | None = None


class ObjectReference(ApiModel):
    """A pointer to any object (core/v1 ObjectReference)."""

    kind: str | None = None
    namespace: str | None = None
    name: str | None = None
    uid: str | None = None
    api_version: str | None = None
    resource_version: str | None = None
    field_path: str | None = None


class ServiceAccountRef(ApiModel):
    """A ServiceAccount whose bound token is requested for the given audiences."""

    name: str
    audiences: list[str] | None = None
