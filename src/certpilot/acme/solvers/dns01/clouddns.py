"""The `cloudDNS` DNS-01 provider: TXT records in a Google Cloud DNS managed zone.

Authentication is cert-manager's: the service-account JSON key in serviceAccountSecretRef, exchanged by
google-auth for an OAuth 2 access token (a JWT signed with the key, sent to the key's `token_uri`), with
the `ndev.clouddns.readwrite` scope. Ambient credentials (the host's Application Default Credentials) are
used only without serviceAccountSecretRef and only when the issuer may use them.

The Cloud DNS v1 REST API is called directly through google-auth's authorized `requests` session: the
google-cloud-dns client cannot filter record sets by name, so it would list whole zones, and it adds
nothing here. A change replaces the whole TXT set atomically (the old set deleted and the new one added
in one Change, as the API requires), and a Change still pending is polled until done. Calls are blocking
and run in a worker thread. `CERTPILOT_DNS01_CLOUDDNS_ENDPOINT` (tests only) replaces
https://dns.googleapis.com; the token endpoint is the key's own `token_uri`.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from certpilot.acme.solvers.dns01.credentials import describe_sources
from certpilot.acme.solvers.dns01.errors import (
    InvalidProviderConfig,
    ProviderApiError,
    ProviderCredentialsRejected,
    ZoneNotFound,
)
from certpilot.acme.solvers.dns01.names import absolute
from certpilot.acme.solvers.dns01.provider import TXT_TTL, Dns01Request
from certpilot.acme.solvers.dns01.vendor import (
    REQUEST_TIMEOUT,
    closest_zone,
    endpoint_override,
    txt_values_after,
    unquoted,
    untyped_sdk_module,
    vendor_text,
)
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderCloudDNS

EXTRA = "clouddns"
API = "https://dns.googleapis.com"
SCOPE = "https://www.googleapis.com/auth/ndev.clouddns.readwrite"
CHANGE_POLL_SECONDS = 1.0
CHANGE_WAIT_SECONDS = 120.0


@dataclass(frozen=True)
class ServiceAccount:
    """The service-account key (None: ambient credentials) and where it came from, for messages."""

    key: dict[str, Any] | None
    source: str

    def private_parts(self) -> list[str]:
        return [str(self.key.get("private_key", ""))] if self.key else []


async def service_account_of(
    request: Dns01Request, config: ACMEIssuerDNS01ProviderCloudDNS
) -> ServiceAccount:
    ref = config.service_account_secret_ref
    if ref is None:
        if not request.allow_ambient_credentials:
            raise InvalidProviderConfig(
                "cloudDNS has no serviceAccountSecretRef, and ambient credentials are not allowed for this "
                "issuer: reference the Secret key holding the service account's JSON key"
            )
        return ServiceAccount(None, "the ambient Application Default Credentials")
    if not ref.name or not ref.key:
        raise InvalidProviderConfig("cloudDNS serviceAccountSecretRef must name a Secret and a key")
    source = f"the service account key in {describe_sources([ref])}"
    try:
        key = json.loads(await request.get_secret_value(ref.name, ref.key))
    except (ValueError, UnicodeDecodeError):
        raise InvalidProviderConfig(f"{source} is not a JSON service account key") from None
    if not isinstance(key, dict) or key.get("type") != "service_account":
        raise InvalidProviderConfig(
            f'{source} is not a service account key (its "type" must be service_account)'
        )
    return ServiceAccount(key, f"{source} ({key.get('client_email', 'no client_email')})")


def google_credentials(account: ServiceAccount) -> Any:
    """google-auth credentials (google-auth's functions are untyped) for the key, or the ambient ones."""
    if account.key is None:
        credentials, _ = untyped_sdk_module("google.auth", EXTRA).default(scopes=[SCOPE])
        return credentials
    service_account = untyped_sdk_module("google.oauth2.service_account", EXTRA)
    try:
        return service_account.Credentials.from_service_account_info(account.key, scopes=[SCOPE])
    except ValueError as err:
        raise InvalidProviderConfig(
            f"{account.source} cannot be used: {vendor_text(err, account.private_parts())}"
        ) from None


class CloudDNSProvider:
    """The `cloudDNS` DNS-01 provider."""

    async def present(self, request: Dns01Request) -> None:
        await self._change(request, add=True)

    async def cleanup(self, request: Dns01Request) -> None:
        await self._change(request, add=False)

    async def _change(self, request: Dns01Request, add: bool) -> None:
        config = request.config
        if not isinstance(config, ACMEIssuerDNS01ProviderCloudDNS):
            raise InvalidProviderConfig("the cloudDNS provider was handed a non-cloudDNS configuration block")
        account = await service_account_of(request, config)
        await asyncio.to_thread(write_txt_value, account, config, request.fqdn, request.value, add)


def write_txt_value(
    account: ServiceAccount, config: ACMEIssuerDNS01ProviderCloudDNS, fqdn: str, value: str, add: bool
) -> None:
    auth_errors = untyped_sdk_module("google.auth.exceptions", EXTRA)
    transport = untyped_sdk_module("google.auth.transport.requests", EXTRA)
    api = CloudDnsApi(transport.AuthorizedSession(google_credentials(account)), config.project, account)
    try:
        zone = config.hosted_zone_name or api.managed_zone_for(fqdn)
        api.replace_txt(zone, absolute(fqdn), value, add)
    except auth_errors.RefreshError as err:
        raise ProviderCredentialsRejected(
            f"Google refused {account.source}: {vendor_text(err, account.private_parts())}"
        ) from None
    except (auth_errors.GoogleAuthError, requests.RequestException) as err:
        raise ProviderApiError(
            f"Google Cloud DNS could not be reached: {vendor_text(err, account.private_parts())}"
        ) from None
    finally:
        api.session.close()


class CloudDnsApi:
    """The few Cloud DNS v1 calls DNS-01 needs, for one project."""

    def __init__(self, session: Any, project: str, account: ServiceAccount) -> None:
        self.session = session
        self.account = account
        self.base = f"{endpoint_override(EXTRA) or API}/dns/v1/projects/{quote(project, safe='')}"

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response: requests.Response = self.session.request(
            method, self.base + path, timeout=REQUEST_TIMEOUT, **kwargs
        )
        if response.status_code in (401, 403):
            raise ProviderCredentialsRejected(
                f"Google Cloud DNS refused {self.account.source} (HTTP {response.status_code}): "
                f"{self.error_text(response.text)}; it needs the DNS Administrator role on the project"
            )
        if response.status_code >= 300:
            raise ProviderApiError(
                f"Google Cloud DNS answered HTTP {response.status_code} to {method} {path}: "
                f"{self.error_text(response.text)}"
            )
        body = response.json()
        return body if isinstance(body, dict) else {}

    def error_text(self, text: str) -> str:
        try:
            message = json.loads(text)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = text
        return vendor_text(message, self.account.private_parts())

    def managed_zone_for(self, fqdn: str) -> str:
        """The managed zone holding `fqdn`: the closest by DNS name, a public one before a private one."""
        zones: list[dict[str, Any]] = []
        page: str | None = None
        while True:
            body = self.call("GET", "/managedZones", params={"pageToken": page} if page else None)
            zones += body.get("managedZones", [])
            page = body.get("nextPageToken")
            if not page:
                break
        dns_name = closest_zone(fqdn, [z.get("dnsName", "") for z in zones])
        matching = [z for z in zones if dns_name and absolute(z.get("dnsName", "")) == dns_name]
        if not matching:
            raise ZoneNotFound(f"no Cloud DNS managed zone in the project holds {fqdn}: set hostedZoneName")
        public = [z for z in matching if z.get("visibility", "public") == "public"]
        return str((public or matching)[0]["name"])

    def replace_txt(self, zone: str, fqdn: str, value: str, add: bool) -> None:
        zone_path = f"/managedZones/{quote(zone, safe='')}"
        listed = self.call("GET", f"{zone_path}/rrsets", params={"name": fqdn, "type": "TXT"})
        current = [r for r in listed.get("rrsets", []) if r.get("type") == "TXT" and r.get("name") == fqdn]
        values = [unquoted(v) for r in current for v in r.get("rrdatas", [])]
        wanted = txt_values_after(values, value, add)
        if wanted == values:
            return
        change: dict[str, Any] = {"deletions": current}
        if wanted:
            ttl = current[0].get("ttl", TXT_TTL) if current else TXT_TTL
            rrdatas = [f'"{v}"' for v in wanted]
            change["additions"] = [{"name": fqdn, "type": "TXT", "ttl": ttl, "rrdatas": rrdatas}]
        created = self.call("POST", f"{zone_path}/changes", json=change)
        self.wait_until_done(zone_path, created)

    def wait_until_done(self, zone_path: str, change: dict[str, Any]) -> None:
        deadline = time.monotonic() + CHANGE_WAIT_SECONDS
        while change.get("status") == "pending":
            if time.monotonic() > deadline:
                raise ProviderApiError(
                    f"Cloud DNS change {change.get('id')} is still pending; will look again"
                )
            time.sleep(CHANGE_POLL_SECONDS)
            change = self.call("GET", f"{zone_path}/changes/{quote(str(change.get('id')), safe='')}")
