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
    """Exactly one issuer type."""

    acme: ACMEIssuer | None = None
    """Sign through an ACME server (Let's Encrypt and others)."""
    ca: CAIssuer | None = None
    """Sign with a CA key pair stored in a Secret."""
    vault: VaultIssuer | None = None
    """Sign with a HashiCorp Vault or OpenBao PKI mount."""
    self_signed: SelfSignedIssuer | None = None
    """Each certificate signs itself with its own key."""
    venafi: VenafiIssuer | None = None
    """Sign through Venafi TPP or Venafi Cloud."""

    def types(self) -> list[str]:
        """JSON names of the issuer types that are set (valid config has exactly one)."""
        return [
            field.alias or name
            for name, field in type(self).model_fields.items()
            if getattr(self, name) is not None
        ]


class ACMEIssuerStatus(ApiModel):
    """The ACME account registered for this issuer."""

    uri: str | None = None
    """The account URL at the ACME server."""
    last_registered_email: str | None = None
    """The email the account was last registered with."""
    last_private_key_hash: str | None = None
    """Hash of the account key the account was last registered with."""


class IssuerStatus(ApiModel):
    """Whether the issuer can sign now."""

    conditions: Conditions | None = None
    """Ready: whether the issuer can sign."""
    acme: ACMEIssuerStatus | None = None
    """ACME account details."""


@register
class Issuer(Resource):
    """A certificate authority that can sign requests from this namespace."""

    API_VERSION = "cert-manager.io/v1"
    KIND = "Issuer"
    PLURAL = "issuers"
    SINGULAR = "issuer"
    SHORT_NAMES = ("iss",)

    spec: IssuerSpec
    status: IssuerStatus | None = None


@register
class ClusterIssuer(Resource):
    """A certificate authority that can sign requests from any namespace."""

    API_VERSION = "cert-manager.io/v1"
    KIND = "ClusterIssuer"
    PLURAL = "clusterissuers"
    SINGULAR = "clusterissuer"
    SHORT_NAMES = ("ciss",)
    NAMESPACED = False

    spec: IssuerSpec
    status: IssuerStatus | None = None


AnyIssuer = Issuer | ClusterIssuer
