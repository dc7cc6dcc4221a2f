"""The `venafi` block of an Issuer: a zone in Venafi TPP or Venafi Cloud (TLS Protect)."""

from __future__ import annotations

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


class VenafiIssuer(ApiModel):
    zone: str
    tpp: VenafiTPP | None = None
    cloud: VenafiCloud | None = None
