"""The `venafi` block of an Issuer: a zone in Venafi TPP, Venafi Cloud (TLS Protect) or Palo Alto
Networks Next Generation Trust Services (NGTS)."""

from __future__ import annotations

from pydantic import Field

from certpilot.api.meta import ApiModel, LocalObjectReference, SecretKeySelector
from certpilot.api.scalars import Base64


class VenafiTPP(ApiModel):
    """`credentialsRef` names a Secret with username/password or access-token."""

    url: str
    credentials_ref: LocalObjectReference
    ca_bundle: Base64 | None = None
    ca_bundle_secret_ref: SecretKeySelector | None = None


class VenafiCloud(ApiModel):
    api_token_secret_ref: SecretKeySelector
    url: str | None = None


class VenafiNGTS(ApiModel):
    """OAuth 2.0 client credentials: `credentialsRef` names a Secret with `client-id` and
    `client-secret`; the token is scoped to the tenant service group `tsgID`. `url` and
    `tokenEndpoint` default to Palo Alto Networks' production endpoints."""

    tsg_id: str = Field(alias="tsgID")
    credentials_ref: LocalObjectReference
    url: str | None = None
    token_endpoint: str | None = None


class VenafiIssuer(ApiModel):
    zone: str
    tpp: VenafiTPP | None = None
    cloud: VenafiCloud | None = None
    ngts: VenafiNGTS | None = None
