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
    request: Base64
    duration: str | None = None
    is_ca: Bool | None = Field(default=None, alias="isCA")
    usages: list[KeyUsage] | None = None
    username: str | None = None
    uid: str | None = None
    groups: list[str] | None = None
    extra: dict[str, list[str]] | None = None

    def csr_pem(self) -> bytes:
        """The PEM CSR bytes (the decoded `request`)."""
        return base64.b64decode(self.request)


class CertificateRequestStatus(ApiModel):
    """`certificate` and `ca` are base64 of PEM, as in Kubernetes JSON."""

    conditions: Conditions | None = None
    certificate: Base64 | None = None
    ca: Base64 | None = None
    failure_time: datetime | None = None


@register
class CertificateRequest(Resource):
    API_VERSION = "cert-manager.io/v1"
    KIND = "CertificateRequest"
    PLURAL = "certificaterequests"
    SINGULAR = "certificaterequest"
    SHORT_NAMES = ("cr", "crs")

    spec: CertificateRequestSpec
    status: CertificateRequestStatus | None = None
