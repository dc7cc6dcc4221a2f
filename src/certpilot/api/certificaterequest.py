"""cert-manager.io/v1 CertificateRequest: one PEM CSR sent to one issuer; its spec never changes."""

from __future__ import annotations

import base64
from datetime import datetime

from pydantic import Field

from certpilot.api.common import IssuerReference
from certpilot.api.enums import KeyUsage
from certpilot.api.meta import ApiModel, Conditions, Resource
from certpilot.api.registry import register
from certpilot.api.scalars import Base64, Bool


class CertificateRequestSpec(ApiModel):
    """`request` is the base64 of the PEM CSR, as Kubernetes encodes []byte in JSON."""

    issuer_ref: IssuerReference
    """The Issuer or ClusterIssuer that signs."""
    request: Base64
    """The PEM CSR (base64 in JSON)."""
    duration: str | None = None
    """Requested lifetime, a Go duration."""
    is_ca: Bool | None = Field(default=None, alias="isCA")
    """Whether to issue a CA certificate."""
    usages: list[KeyUsage] | None = None
    """Key usages and extended key usages to request."""
    username: str | None = None
    """Who created the request (set by the apiserver's user info)."""
    uid: str | None = None
    """The creator's UID."""
    groups: list[str] | None = None
    """The creator's groups."""
    extra: dict[str, list[str]] | None = None
    """The creator's extra user info."""

    def csr_pem(self) -> bytes:
        """The PEM CSR bytes (the decoded `request`)."""
        return base64.b64decode(self.request)


class CertificateRequestStatus(ApiModel):
    """`certificate` and `ca` are base64 of PEM, as in Kubernetes JSON."""

    conditions: Conditions | None = None
    """Ready, Approved, Denied and InvalidRequest."""
    certificate: Base64 | None = None
    """The signed PEM certificate (base64 in JSON)."""
    ca: Base64 | None = None
    """The PEM CA certificate of the signer, when known (base64 in JSON)."""
    failure_time: datetime | None = None
    """When the request failed for good."""


@register
class CertificateRequest(Resource):
    """One PEM certificate signing request sent to one issuer; the spec never changes after creation."""

    API_VERSION = "cert-manager.io/v1"
    KIND = "CertificateRequest"
    PLURAL = "certificaterequests"
    SINGULAR = "certificaterequest"
    SHORT_NAMES = ("cr", "crs")

    spec: CertificateRequestSpec
    status: CertificateRequestStatus | None = None
