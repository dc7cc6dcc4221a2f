"""The `akamai` DNS-01 provider: TXT record sets in Akamai Edge DNS, through its Zone Management API v2.

Authentication is cert-manager's: EdgeGrid request signing with the client token, client secret and access
token from their three Secret refs, done by Akamai's own `edgegrid-python` (a `requests` auth plugin) for
the API host `serviceConsumerDomain`. Akamai has no Python SDK for Edge DNS beyond the signer, so the four
record-set calls are made directly: read the TXT set, then create, replace or delete it with one value
more or less. The zone is the closest parent of the name Edge DNS hosts (asked of the API, so a sub-zone
is found even when DNS named its parent). Calls are blocking and run in a worker thread.
`CERTPILOT_DNS01_AKAMAI_ENDPOINT` (tests only) replaces `https://<serviceConsumerDomain>`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from certpilot.acme.solvers.dns01.credentials import describe_sources, secret_text
from certpilot.acme.solvers.dns01.errors import (
    InvalidProviderConfig,
    ProviderApiError,
    ProviderCredentialsRejected,
    ZoneNotFound,
)
from certpilot.acme.solvers.dns01.names import absolute
from certpilot.acme.solvers.dns01.provider import Dns01Request
from certpilot.acme.solvers.dns01.vendor import (
    REQUEST_TIMEOUT,
    WRITE_ATTEMPTS,
    endpoint_override,
    txt_values_after,
    unquoted,
    untyped_sdk_module,
    vendor_text,
)
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderAkamai

EXTRA = "akamai"
TXT_TTL = 300  # cert-manager's
LOST_RACE = (404, 409)
# edgegrid-python logs the signing key and the signed Authorization header at DEBUG: never let them out,
# whatever level the daemon logs at.
EDGEGRID_LOGGER = "akamai.edgegrid"


@dataclass(frozen=True)
class EdgeGridCredentials:
    client_token: str
    client_secret: str
    access_token: str

    def values(self) -> list[str]:
        return [self.client_token, self.client_secret, self.access_token]


async def credentials_of(request: Dns01Request, config: ACMEIssuerDNS01ProviderAkamai) -> EdgeGridCredentials:
    return EdgeGridCredentials(
        await secret_text(request, config.client_token_secret_ref, "akamai clientTokenSecretRef"),
        await secret_text(request, config.client_secret_secret_ref, "akamai clientSecretSecretRef"),
        await secret_text(request, config.access_token_secret_ref, "akamai accessTokenSecretRef"),
    )


def described(config: ACMEIssuerDNS01ProviderAkamai) -> str:
    return (
        f"the EdgeGrid credentials for {config.service_consumer_domain} (client token in "
        f"{describe_sources([config.client_token_secret_ref])}, client secret in "
        f"{describe_sources([config.client_secret_secret_ref])}, access token in "
        f"{describe_sources([config.access_token_secret_ref])})"
    )


class AkamaiProvider:
    """The `akamai` DNS-01 provider."""

    async def present(self, request: Dns01Request) -> None:
        await self._change(request, add=True)

    async def cleanup(self, request: Dns01Request) -> None:
        await self._change(request, add=False)

    async def _change(self, request: Dns01Request, add: bool) -> None:
        config = request.config
        if not isinstance(config, ACMEIssuerDNS01ProviderAkamai):
            raise InvalidProviderConfig("the akamai provider was handed a non-akamai configuration block")
        if not config.service_consumer_domain:
            raise InvalidProviderConfig(
                "akamai serviceConsumerDomain is empty: set the API host of the client"
            )
        credentials = await credentials_of(request, config)
        await asyncio.to_thread(write_txt_value, config, credentials, request.fqdn, request.value, add)


def write_txt_value(
    config: ACMEIssuerDNS01ProviderAkamai, credentials: EdgeGridCredentials, fqdn: str, value: str, add: bool
) -> None:
    edgegrid = untyped_sdk_module("akamai.edgegrid", EXTRA)
    logging.getLogger(EDGEGRID_LOGGER).setLevel(logging.INFO)
    session = requests.Session()
    session.auth = edgegrid.EdgeGridAuth(
        client_token=credentials.client_token,
        client_secret=credentials.client_secret,
        access_token=credentials.access_token,
    )
    api = EdgeDnsApi(session, config, credentials)
    try:
        zone = api.zone_for(fqdn)
        for _ in range(WRITE_ATTEMPTS):
            try:
                api.write_once(zone, fqdn.rstrip("."), value, add)
                return
            except LostRace:
                continue
        raise ProviderApiError(f"Edge DNS TXT record {fqdn} kept changing under us; will retry")
    except requests.RequestException as err:
        raise ProviderApiError(
            f"Akamai Edge DNS at {api.base} could not be reached: {vendor_text(err, credentials.values())}"
        ) from None
    finally:
        session.close()


class LostRace(Exception):
    """Another writer created or removed the record set between our read and our write."""


class EdgeDnsApi:
    """The few Edge DNS Zone Management v2 calls DNS-01 needs."""

    def __init__(
        self,
        session: requests.Session,
        config: ACMEIssuerDNS01ProviderAkamai,
        credentials: EdgeGridCredentials,
    ) -> None:
        self.session = session
        self.config = config
        self.credentials = credentials
        self.base = endpoint_override(EXTRA) or f"https://{config.service_consumer_domain.rstrip('/')}"

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        expected: tuple[int, ...] = LOST_RACE,
    ) -> tuple[int, Any]:
        """The status and JSON body of a call; an error status raises unless it is `expected`."""
        response = self.session.request(
            method, f"{self.base}/config-dns/v2{path}", json=body, timeout=REQUEST_TIMEOUT
        )
        if response.status_code in (401, 403):
            raise ProviderCredentialsRejected(
                f"Akamai refused {described(self.config)} (HTTP {response.status_code}): "
                f"{self.problem_text(response)}"
            )
        if response.status_code >= 300 and response.status_code not in expected:
            raise ProviderApiError(
                f"Akamai Edge DNS answered HTTP {response.status_code} to {method} {path}: "
                f"{self.problem_text(response)}"
            )
        return response.status_code, (response.json() if response.content else None)

    def problem_text(self, response: requests.Response) -> str:
        """The `detail` of Akamai's problem+json answer (or its body), credentials cut out."""
        try:
            problem = response.json()
            text = problem.get("detail") or problem.get("title") or response.text
        except ValueError:
            text = response.text
        return vendor_text(text, self.credentials.values())

    def zone_for(self, fqdn: str) -> str:
        """The closest parent of `fqdn` that is an Edge DNS zone of this account (one GET per candidate;
        names such as `_acme-challenge...` cannot be zones and are skipped, an invalid name is not one)."""
        labels = absolute(fqdn).rstrip(".").split(".")
        for start in range(len(labels) - 1):
            if labels[start].startswith("_"):
                continue
            zone = ".".join(labels[start:])
            status, _ = self.call("GET", f"/zones/{quote(zone, safe='')}", expected=(400, 404))
            if status < 300:
                return zone
        raise ZoneNotFound(f"no Edge DNS zone of this Akamai account holds {fqdn}")

    def write_once(self, zone: str, name: str, value: str, add: bool) -> None:
        path = f"/zones/{quote(zone, safe='')}/names/{quote(name, safe='')}/types/TXT"
        status, current = self.call("GET", path)
        exists = status < 300 and isinstance(current, dict)
        values = [unquoted(v) for v in (current.get("rdata") or [])] if exists else []
        wanted = txt_values_after(values, value, add)
        if wanted == values:
            return
        record = {"name": name, "type": "TXT", "ttl": TXT_TTL, "rdata": [f'"{v}"' for v in wanted]}
        if not exists:
            status, _ = self.call("POST", path, record)
        elif wanted:
            status, _ = self.call("PUT", path, record)
        else:
            status, _ = self.call("DELETE", path)
        if status in LOST_RACE:
            raise LostRace(path)
