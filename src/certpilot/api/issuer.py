"""cert-manager.io/v1 Issuer and ClusterIssuer: a CA that can sign, configured as exactly one type."""

from __future__ import annotations

from pydantic import Field

from certpilot.api.acme_issuer import ACMEIssuer
from certpilot.api.meta import ApiModel, Conditions, Resource
from certpilot.api.registry import register
from certpilot.api.vault_issuer import VaultIssuer
from certpilot.api.venafi_issuer import VenafiIssuer


class CAIssuer(ApiModel):
    """Signs with the key pair in Secret `secretName` (tls.crt / tls.key)."""

    secret_name: str
    crl_distribution_points: list[str] | None = None
    ocsp_servers: list[str] | None = None
    issuing_certificate_urls: list[str] | None = Field(default=None, alias="issuingCertificateURLs")


class SelfSignedIssuer(ApiModel):
    crl_distribution_points: list[str] | None = None


class IssuerSpec(ApiModel):
    acme: ACMEIssuer | None = None
    ca: CAIssuer | None = None
    vault: VaultIssuer | None = None
    self_signed: SelfSignedIssuer | None = None
    venafi: VenafiIssuer | None = None

    def types(self) -> list[str]:
        """JSON names of the issuer types that are set (valid config has exactly one)."""
        return [
            field.alias or name
            for name, field in type(self).model_fields.items()
            if getattr(self, name) is not None
        ]


class ACMEIssuerStatus(ApiModel):
    uri: str | None = None
    last_registered_email: str | None = None
    last_private_key_hash: str | None = None


class IssuerStatus(ApiModel):
    conditions: Conditions | None = None
    acme: ACMEIssuerStatus | None = None


@register
class Issuer(Resource):
    API_VERSION = "cert-manager.io/v1"
    KIND = "Issuer"
    PLURAL = "issuers"
    SINGULAR = "issuer"
    SHORT_NAMES = ("iss",)

    spec: IssuerSpec
    status: IssuerStatus | None = None


@register
class ClusterIssuer(Resource):
    API_VERSION = "cert-manager.io/v1"
    KIND = "ClusterIssuer"
    PLURAL = "clusterissuers"
    SINGULAR = "clusterissuer"
    SHORT_NAMES = ("ciss",)
    NAMESPACED = False

    spec: IssuerSpec
    status: IssuerStatus | None = None


AnyIssuer = Issuer | ClusterIssuer
