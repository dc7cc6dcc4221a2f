"""The `azureDNS` DNS-01 provider: TXT record sets in an Azure DNS zone, through Azure's own SDK.

Authentication is cert-manager's: a service principal (clientID, tenantID and the client secret in
clientSecretSecretRef) through azure-identity's ClientSecretCredential; without clientID, the managed
identity of the host (workload identity when AZURE_FEDERATED_TOKEN_FILE is set), and only when ambient
credentials are allowed. Records go through azure-mgmt-dns, read-modify-written under ETags
(If-None-Match: * for a new set, If-Match for an existing one), so two challenges adding values under one
name never drop each other's; a lost race is retried. The SDK is synchronous: each operation runs in a
worker thread. `CERTPILOT_DNS01_AZUREDNS_ENDPOINT` (tests only) replaces both the Entra ID authority and
the Resource Manager URL; the token scope stays the cloud's.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from certpilot.acme.solvers.dns01.credentials import describe_sources, secret_text
from certpilot.acme.solvers.dns01.errors import (
    InvalidProviderConfig,
    ProviderApiError,
    ProviderCredentialsRejected,
    ZoneNotFound,
    sdk_missing,
)
from certpilot.acme.solvers.dns01.names import relative_name
from certpilot.acme.solvers.dns01.provider import TXT_TTL, Dns01Request
from certpilot.acme.solvers.dns01.vendor import (
    WRITE_ATTEMPTS,
    closest_zone,
    endpoint_override,
    txt_values_after,
    vendor_text,
)
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderAzureDNS
from certpilot.api.enums import AzureEnvironment, AzureZoneType

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.mgmt.dns import DnsManagementClient

EXTRA = "azuredns"
LOST_RACE = (409, 412)  # the ETag precondition failed: read again and redo the change


@dataclass(frozen=True)
class AzureCloud:
    authority: str
    resource_manager: str
    scope: str


CLOUDS = {
    AzureEnvironment.PUBLIC: AzureCloud(
        "https://login.microsoftonline.com",
        "https://management.azure.com",
        "https://management.azure.com/.default",
    ),
    AzureEnvironment.CHINA: AzureCloud(
        "https://login.chinacloudapi.cn",
        "https://management.chinacloudapi.cn",
        "https://management.chinacloudapi.cn/.default",
    ),
    AzureEnvironment.US_GOVERNMENT: AzureCloud(
        "https://login.microsoftonline.us",
        "https://management.usgovcloudapi.net",
        "https://management.core.usgovcloudapi.net/.default",
    ),
}


def cloud_of(config: ACMEIssuerDNS01ProviderAzureDNS) -> AzureCloud:
    """The cloud's endpoints (AzurePublicCloud when unset), both replaced by the test endpoint if set."""
    environment = config.environment or AzureEnvironment.PUBLIC
    cloud = CLOUDS.get(environment)
    if cloud is None:
        raise InvalidProviderConfig(
            f"azureDNS environment {environment.value} is not served any more (Azure Germany closed in "
            f"2021): use one of {', '.join(e.value for e in CLOUDS)}"
        )
    override = endpoint_override(EXTRA)
    return AzureCloud(override, override, cloud.scope) if override else cloud


@dataclass(frozen=True)
class Credentials:
    """What to sign in with: a service principal (`client_secret` set) or the ambient managed identity."""

    config: ACMEIssuerDNS01ProviderAzureDNS
    client_secret: str | None

    def describe(self) -> str:
        config = self.config
        if self.client_secret is None:
            return "the managed identity of this host"
        return (
            f"service principal {config.client_id} of tenant {config.tenant_id} "
            f"(client secret in {describe_sources([config.client_secret_secret_ref])})"
        )


async def credentials_of(request: Dns01Request, config: ACMEIssuerDNS01ProviderAzureDNS) -> Credentials:
    if config.client_id:
        if not config.tenant_id:
            raise InvalidProviderConfig("azureDNS clientID is set but tenantID is not: set both")
        secret = await secret_text(request, config.client_secret_secret_ref, "azureDNS clientSecretSecretRef")
        return Credentials(config, secret)
    if not request.allow_ambient_credentials:
        raise InvalidProviderConfig(
            "azureDNS has no clientID, so it would sign in with the host's managed identity, but ambient "
            "credentials are not allowed for this issuer: set clientID, tenantID and clientSecretSecretRef"
        )
    return Credentials(config, None)


def token_credential(credentials: Credentials, cloud: AzureCloud) -> TokenCredential:
    try:
        from azure.identity import (
            ClientSecretCredential,
            ManagedIdentityCredential,
            WorkloadIdentityCredential,
        )
    except ImportError as err:
        raise sdk_missing(EXTRA, err.name or str(err)) from None
    config = credentials.config
    known_authority = endpoint_override(EXTRA) is None
    if credentials.client_secret is not None:
        if config.client_id is None or config.tenant_id is None:
            raise InvalidProviderConfig("azureDNS: clientSecretSecretRef needs clientID and tenantID")
        return ClientSecretCredential(
            config.tenant_id,
            config.client_id,
            credentials.client_secret,
            authority=cloud.authority,
            disable_instance_discovery=not known_authority,
        )
    identity = config.managed_identity
    if os.environ.get("AZURE_FEDERATED_TOKEN_FILE"):
        return WorkloadIdentityCredential(
            client_id=identity.client_id if identity else None,
            tenant_id=identity.tenant_id if identity else None,
            authority=cloud.authority,
        )
    if identity is not None and identity.resource_id:
        return ManagedIdentityCredential(identity_config={"resource_id": identity.resource_id})
    return ManagedIdentityCredential(client_id=identity.client_id if identity else None)


class AzureDNSProvider:
    """The `azureDNS` DNS-01 provider (public zones)."""

    async def present(self, request: Dns01Request) -> None:
        await self._change(request, add=True)

    async def cleanup(self, request: Dns01Request) -> None:
        await self._change(request, add=False)

    async def _change(self, request: Dns01Request, add: bool) -> None:
        config = request.config
        if not isinstance(config, ACMEIssuerDNS01ProviderAzureDNS):
            raise InvalidProviderConfig("the azureDNS provider was handed a non-azureDNS configuration block")
        if config.zone_type == AzureZoneType.PRIVATE:
            raise InvalidProviderConfig(
                "azureDNS zoneType AzurePrivateZone is not supported by certpilot yet: "
                "ACME servers cannot see private zones unless they share its network"
            )
        credentials = await credentials_of(request, config)
        cloud = cloud_of(config)
        await asyncio.to_thread(write_txt_value, credentials, cloud, request.fqdn, request.value, add)


def write_txt_value(credentials: Credentials, cloud: AzureCloud, fqdn: str, value: str, add: bool) -> None:
    """Add (or remove) `value` in the TXT record set at `fqdn`, in the zone of the resource group."""
    try:
        from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ServiceRequestError
        from azure.mgmt.dns import DnsManagementClient
    except ImportError as err:
        raise sdk_missing(EXTRA, err.name or str(err)) from None
    config = credentials.config
    hidden = [credentials.client_secret or ""]
    client = DnsManagementClient(
        token_credential(credentials, cloud),
        config.subscription_id,
        base_url=cloud.resource_manager,
        credential_scopes=[cloud.scope],
    )
    try:
        zone = hosted_zone(client, config, fqdn)
        name = relative_name(fqdn, zone)
        for _ in range(WRITE_ATTEMPTS):
            try:
                write_once(client, config.resource_group_name, zone, name, value, add)
                return
            except HttpResponseError as err:
                if err.status_code not in LOST_RACE:
                    raise
        raise ProviderApiError(
            f"Azure DNS record set {name} in zone {zone} kept changing under us; will retry"
        )
    except ClientAuthenticationError as err:
        raise ProviderCredentialsRejected(
            f"Azure refused {credentials.describe()}: {vendor_text(err.message, hidden)}"
        ) from None
    except HttpResponseError as err:
        if err.status_code == 403:
            raise ProviderCredentialsRejected(
                f"Azure does not let {credentials.describe()} change DNS records in resource group "
                f"{config.resource_group_name} (grant it the DNS Zone Contributor role): "
                f"{vendor_text(err.message, hidden)}"
            ) from None
        raise ProviderApiError(
            f"Azure DNS answered HTTP {err.status_code}: {vendor_text(err.message, hidden)}"
        ) from None
    except ServiceRequestError as err:
        raise ProviderApiError(
            f"Azure at {cloud.resource_manager} could not be reached: {vendor_text(err, hidden)}"
        ) from None
    finally:
        client.close()


def hosted_zone(client: DnsManagementClient, config: ACMEIssuerDNS01ProviderAzureDNS, fqdn: str) -> str:
    """hostedZoneName, else the closest zone holding `fqdn` among the resource group's zones."""
    if config.hosted_zone_name:
        return config.hosted_zone_name.rstrip(".")
    group = config.resource_group_name
    zones = [z.name for z in client.zones.list_by_resource_group(group) if z.name]
    zone = closest_zone(fqdn, zones)
    if zone is None:
        raise ZoneNotFound(
            f"no Azure DNS zone in resource group {group} holds {fqdn}: set hostedZoneName, or check "
            "subscriptionID and resourceGroupName"
        )
    return zone.rstrip(".")


def write_once(client: DnsManagementClient, group: str, zone: str, name: str, value: str, add: bool) -> None:
    from azure.core.exceptions import ResourceNotFoundError
    from azure.mgmt.dns.models import RecordSet, TxtRecord

    try:
        current: RecordSet | None = client.record_sets.get(group, zone, name, "TXT")
    except ResourceNotFoundError:
        current = None
    values = ["".join(r.value or []) for r in (current.txt_records or [])] if current else []
    wanted = txt_values_after(values, value, add)
    if wanted == values:
        return
    etag = current.etag if current else None
    if not wanted:
        client.record_sets.delete(group, zone, name, "TXT", if_match=etag)
        return
    record_set = RecordSet(
        ttl=(current.ttl if current and current.ttl else TXT_TTL),
        txt_records=[TxtRecord(value=[v]) for v in wanted],
    )
    if etag:
        client.record_sets.create_or_update(group, zone, name, "TXT", record_set, if_match=etag)
    else:
        client.record_sets.create_or_update(group, zone, name, "TXT", record_set, if_none_match="*")
