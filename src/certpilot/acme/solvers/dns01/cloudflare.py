"""The `cloudflare` DNS-01 provider: Cloudflare's v4 REST API over aiohttp.

Authenticates as cert-manager does: an API token (`apiTokenSecretRef`, sent as a bearer token) or the
legacy global API key with the account's `email` (`apiKeySecretRef`, sent as X-Auth-Key/X-Auth-Email),
never both. The zone is the closest parent of the record's name that the account holds, so a zone that
DNS sees as delegated differently is still found. The SDK is not used: four REST calls do the job.
"""

from __future__ import annotations

from typing import Any

from certpilot.acme.solvers.dns01.credentials import secret_text
from certpilot.acme.solvers.dns01.errors import InvalidProviderConfig, ProviderApiError, ZoneNotFound
from certpilot.acme.solvers.dns01.names import parent_names
from certpilot.acme.solvers.dns01.provider import Dns01Request
from certpilot.acme.solvers.dns01.rest import RestApi, endpoint_of
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderCloudflare

API = "https://api.cloudflare.com/client/v4"
TXT_TTL = 120  # Cloudflare's smallest TTL


async def cloudflare_api(config: ACMEIssuerDNS01ProviderCloudflare, request: Dns01Request) -> RestApi:
    """The API client authenticated the way `config` says (token, or email + global key)."""
    token_ref, key_ref = config.api_token_secret_ref, config.api_key_secret_ref
    if token_ref is not None and key_ref is not None:
        raise InvalidProviderConfig(
            "cloudflare: set either apiTokenSecretRef or apiKeySecretRef (with email), not both"
        )
    base = endpoint_of("cloudflare", API)
    if token_ref is not None:
        token = await secret_text(request, token_ref, "cloudflare.apiTokenSecretRef")
        return RestApi("cloudflare", base, {"Authorization": f"Bearer {token}"}, [token_ref])
    if key_ref is not None:
        if not config.email:
            raise InvalidProviderConfig("cloudflare: apiKeySecretRef needs the account's email in `email`")
        key = await secret_text(request, key_ref, "cloudflare.apiKeySecretRef")
        return RestApi("cloudflare", base, {"X-Auth-Email": config.email, "X-Auth-Key": key}, [key_ref])
    raise InvalidProviderConfig(
        "cloudflare: set apiTokenSecretRef (an API token), or email and apiKeySecretRef (the global API key)"
    )


def results(answer: Any) -> list[dict[str, Any]]:
    """The `result` list of a Cloudflare envelope."""
    if not isinstance(answer, dict) or not isinstance(answer.get("result"), list):
        raise ProviderApiError(
            f"cloudflare API answered something that is not a result list: {answer!r:.200}"
        )
    return [item for item in answer["result"] if isinstance(item, dict)]


def unquoted(content: str) -> str:
    """Cloudflare may return TXT content in quotes; the value is what is inside."""
    return content[1:-1] if len(content) >= 2 and content[0] == content[-1] == '"' else content


async def zone_id(api: RestApi, request: Dns01Request) -> str:
    """The id of the closest zone holding `request.fqdn` in the account (the given zone tried first)."""
    candidates = parent_names(request.fqdn)
    if request.zone:
        candidates.insert(0, request.zone.rstrip(".").lower())
    for name in dict.fromkeys(candidates):
        zones = results(await api.call("GET", "/zones", params={"name": name}))
        if zones:
            return str(zones[0]["id"])
    raise ZoneNotFound(f"cloudflare: no zone in the account holds {request.fqdn}")


async def txt_records(api: RestApi, zone: str, fqdn: str) -> list[dict[str, Any]]:
    params = {"type": "TXT", "name": fqdn.rstrip("."), "per_page": "100"}
    return results(await api.call("GET", f"/zones/{zone}/dns_records", params=params))


class CloudflareProvider:
    async def present(self, request: Dns01Request) -> None:
        api, zone = await self._target(request)
        records = await txt_records(api, zone, request.fqdn)
        if any(unquoted(str(r.get("content", ""))) == request.value for r in records):
            return
        body = {"type": "TXT", "name": request.fqdn.rstrip("."), "content": request.value, "ttl": TXT_TTL}
        await api.call("POST", f"/zones/{zone}/dns_records", body)

    async def cleanup(self, request: Dns01Request) -> None:
        api, zone = await self._target(request)
        for record in await txt_records(api, zone, request.fqdn):
            if unquoted(str(record.get("content", ""))) == request.value:
                await api.call("DELETE", f"/zones/{zone}/dns_records/{record['id']}")

    async def _target(self, request: Dns01Request) -> tuple[RestApi, str]:
        config = request.config
        if not isinstance(config, ACMEIssuerDNS01ProviderCloudflare):
            raise InvalidProviderConfig("the cloudflare provider was handed a non-cloudflare configuration")
        api = await cloudflare_api(config, request)
        return api, await zone_id(api, request)
