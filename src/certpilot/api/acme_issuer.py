"""The `acme` block of an Issuer: account, External Account Binding and challenge solvers."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from certpilot.api.common import ServiceAccountRef
from certpilot.api.enums import (
    ACMERenewalInformationSource,
    AzureEnvironment,
    AzureZoneType,
    CNAMEStrategy,
    HMACKeyAlgorithm,
    RFC2136Protocol,
)
from certpilot.api.meta import ApiModel, SecretKeySelector
from certpilot.api.scalars import Base64, Bool, Int32, OpenAPI
from certpilot.api.solver_pod import SolverPodSpec


class ACMEExternalAccountBinding(ApiModel):
    key_id: str = Field(alias="keyID")
    key_secret_ref: SecretKeySelector
    key_algorithm: HMACKeyAlgorithm | None = None


class CertificateDNSNameSelector(ApiModel):
    """Chooses the solver for a name: by Certificate labels, exact DNS names, or DNS zones."""

    match_labels: dict[str, str] | None = None
    dns_names: list[str] | None = None
    dns_zones: list[str] | None = None


class ObjectMetaTemplate(ApiModel):
    """Labels and annotations added to a solver object (Pod, Ingress)."""

    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None


class ACMEChallengeSolverHTTP01IngressPodTemplate(ApiModel):
    """Overrides for the solver Pod: extra metadata and a subset of the Pod spec."""

    metadata: ObjectMetaTemplate | None = None
    spec: SolverPodSpec | None = None


class ACMEChallengeSolverHTTP01IngressTemplate(ApiModel):
    """Overrides for the solver Ingress: extra labels and annotations."""

    metadata: ObjectMetaTemplate | None = None


class ACMEChallengeSolverHTTP01Ingress(ApiModel):
    service_type: str | None = None
    ingress_class_name: str | None = None
    class_: str | None = Field(default=None, alias="class")
    name: str | None = None
    pod_template: ACMEChallengeSolverHTTP01IngressPodTemplate | None = None
    ingress_template: ACMEChallengeSolverHTTP01IngressTemplate | None = None


_DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
_DNS_SUBDOMAIN_OR_EMPTY = r"^$|" + _DNS_SUBDOMAIN


class ParentReference(ApiModel):
    """A Gateway API parentRef: the Gateway (or listener) the solver HTTPRoute attaches to."""

    name: str = Field(min_length=1, max_length=253)
    group: Annotated[str, OpenAPI(default="gateway.networking.k8s.io")] | None = Field(
        default=None, max_length=253, pattern=_DNS_SUBDOMAIN_OR_EMPTY
    )
    kind: Annotated[str, OpenAPI(default="Gateway")] | None = Field(
        default=None, min_length=1, max_length=63, pattern=r"^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$"
    )
    namespace: str | None = Field(
        default=None, min_length=1, max_length=63, pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
    )
    section_name: str | None = Field(default=None, min_length=1, max_length=253, pattern=_DNS_SUBDOMAIN)
    port: Int32 | None = Field(default=None, ge=1, le=65535)


class ACMEChallengeSolverHTTP01GatewayHTTPRoute(ApiModel):
    service_type: str | None = None
    labels: dict[str, str] | None = None
    parent_refs: list[ParentReference] | None = None
    pod_template: ACMEChallengeSolverHTTP01IngressPodTemplate | None = None


class ACMEChallengeSolverHTTP01(ApiModel):
    ingress: ACMEChallengeSolverHTTP01Ingress | None = None
    gateway_http_route: ACMEChallengeSolverHTTP01GatewayHTTPRoute | None = Field(
        default=None, alias="gatewayHTTPRoute"
    )


class ACMEIssuerDNS01ProviderAcmeDNS(ApiModel):
    host: str
    account_secret_ref: SecretKeySelector


class ACMEIssuerDNS01ProviderAkamai(ApiModel):
    service_consumer_domain: str
    client_token_secret_ref: SecretKeySelector
    client_secret_secret_ref: SecretKeySelector
    access_token_secret_ref: SecretKeySelector


class AzureManagedIdentity(ApiModel):
    client_id: str | None = Field(default=None, alias="clientID")
    resource_id: str | None = Field(default=None, alias="resourceID")
    tenant_id: str | None = Field(default=None, alias="tenantID")


class ACMEIssuerDNS01ProviderAzureDNS(ApiModel):
    subscription_id: str = Field(alias="subscriptionID")
    resource_group_name: str
    client_id: str | None = Field(default=None, alias="clientID")
    client_secret_secret_ref: SecretKeySelector | None = None
    tenant_id: str | None = Field(default=None, alias="tenantID")
    hosted_zone_name: str | None = None
    environment: AzureEnvironment | None = None
    managed_identity: AzureManagedIdentity | None = None
    zone_type: AzureZoneType | None = None


class ACMEIssuerDNS01ProviderCloudDNS(ApiModel):
    project: str
    service_account_secret_ref: SecretKeySelector | None = None
    hosted_zone_name: str | None = None


class ACMEIssuerDNS01ProviderCloudflare(ApiModel):
    email: str | None = None
    api_key_secret_ref: SecretKeySelector | None = None
    api_token_secret_ref: SecretKeySelector | None = None


class ACMEIssuerDNS01ProviderDigitalOcean(ApiModel):
    token_secret_ref: SecretKeySelector


class Route53KubernetesAuth(ApiModel):
    service_account_ref: ServiceAccountRef


class Route53Auth(ApiModel):
    kubernetes: Route53KubernetesAuth


class ACMEIssuerDNS01ProviderRoute53(ApiModel):
    access_key_id: str | None = Field(default=None, alias="accessKeyID")
    access_key_id_secret_ref: SecretKeySelector | None = Field(default=None, alias="accessKeyIDSecretRef")
    secret_access_key_secret_ref: SecretKeySelector | None = None
    role: str | None = None
    hosted_zone_id: str | None = Field(default=None, alias="hostedZoneID")
    region: str | None = None
    auth: Route53Auth | None = None


class ACMEIssuerDNS01ProviderRFC2136(ApiModel):
    """RFC 2136 dynamic update; `nameserver` is host[:port] (IPv6 in brackets), port 53 by default."""

    nameserver: str
    tsig_secret_secret_ref: SecretKeySelector | None = None
    tsig_key_name: str | None = None
    tsig_algorithm: str | None = None
    protocol: RFC2136Protocol | None = None


class ACMEIssuerDNS01ProviderWebhook(ApiModel):
    """An out-of-tree DNS01 solver; `config` is free-form JSON passed to it unchanged."""

    group_name: str
    solver_name: str
    config: Any = None


class ACMEChallengeSolverDNS01(ApiModel):
    cname_strategy: CNAMEStrategy | None = None
    # host:port recursive nameservers for this solver's self-check, in place of
    # --dns01-recursive-nameservers; the TXT record is then checked at them only.
    nameservers: list[str] | None = None
    acme_dns: ACMEIssuerDNS01ProviderAcmeDNS | None = Field(default=None, alias="acmeDNS")
    akamai: ACMEIssuerDNS01ProviderAkamai | None = None
    azure_dns: ACMEIssuerDNS01ProviderAzureDNS | None = Field(default=None, alias="azureDNS")
    cloud_dns: ACMEIssuerDNS01ProviderCloudDNS | None = Field(default=None, alias="cloudDNS")
    cloudflare: ACMEIssuerDNS01ProviderCloudflare | None = None
    digitalocean: ACMEIssuerDNS01ProviderDigitalOcean | None = None
    rfc2136: ACMEIssuerDNS01ProviderRFC2136 | None = None
    route53: ACMEIssuerDNS01ProviderRoute53 | None = None
    webhook: ACMEIssuerDNS01ProviderWebhook | None = None

    def providers(self) -> list[str]:
        """JSON names of the provider blocks that are set (valid config has exactly one)."""
        return [
            field.alias or name
            for name, field in type(self).model_fields.items()
            if name not in ("cname_strategy", "nameservers") and getattr(self, name) is not None
        ]


class ACMEChallengeSolver(ApiModel):
    selector: CertificateDNSNameSelector | None = None
    http01: ACMEChallengeSolverHTTP01 | None = None
    dns01: ACMEChallengeSolverDNS01 | None = None
    # A Go duration: skip the self-check and accept this long after presenting.
    wait_instead_of_self_check: str | None = None


class ACMEIssuer(ApiModel):
    server: str
    private_key_secret_ref: SecretKeySelector
    email: str | None = None
    external_account_binding: ACMEExternalAccountBinding | None = None
    skip_tls_verify: Bool | None = Field(default=None, alias="skipTLSVerify")
    ca_bundle: Base64 | None = None
    preferred_chain: str | None = Field(default=None, max_length=64)
    enable_duration_feature: Bool | None = None
    profile: str | None = None
    # Unset means ARI, as cert-manager's CRD default.
    renewal_information_source: ACMERenewalInformationSource | None = None
    disable_account_key_generation: Bool | None = None
    solvers: list[ACMEChallengeSolver] | None = None
