"""The `digitalocean` DNS-01 provider: DigitalOcean's v2 REST API over aiohttp, with the API token of
`tokenSecretRef` as a bearer token. The domain is the closest parent of the record's name that the account
holds. Neither godo's Python siblings nor pydo are used: three REST calls do the job.
"""

from __future__ import annotations

from typing import Any

from certpilot.acme.solvers.dns01.credentials import secret_text
from certpilot.acme.solvers.dns01.errors import InvalidProviderConfig, ProviderApiError, ZoneNotFound
from certpilot.acme.solvers.dns01.names import parent_names, relative_name
from certpilot.acme.solvers.dns01.provider import TXT_TTL, Dns01Request
from certpilot.acme.solvers.dns01.rest import RestApi, endpoint_of
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderDigitalOcean

API = "https://api.digitalocean.com"


async def domain_of(api: RestApi, request: Dns01Request) -> str:
    """The closest domain of the account holding `request.fqdn` (the given zone tried first)."""
    candidates = parent_names(request.fqdn)
    if request.zone:
        candidates.insert(0, request.zone.rstrip(".").lower())
    for name in dict.fromkeys(candidates):
        if await api.call("GET", f"/v2/domains/{name}", missing_ok=True) is not None:
            return name
    raise ZoneNotFound(f"digitalocean: no domain in the account holds {request.fqdn}")


async def txt_records(api: RestApi, domain: str, fqdn: str) -> list[dict[str, Any]]:
    answer = await api.call(
        "GET",
        f"/v2/domains/{domain}/records",
        params={"type": "TXT", "name": fqdn.rstrip("."), "per_page": "200"},
    )
    if not isinstance(answer, dict) or not isinstance(answer.get("domain_records"), list):
        raise ProviderApiError(
            f"digitalocean API answered something that is not a record list: {answer!r:.200}"
        )
    return [r for r in answer["domain_records"] if isinstance(r, dict)]


class DigitalOceanProvider:
    async def present(self, request: Dns01Request) -> None:
        api, domain = await self._target(request)
        if any(r.get("data") == request.value for r in await txt_records(api, domain, request.fqdn)):
            return
        body = {
            "type": "TXT",
            "name": relative_name(request.fqdn, domain),
            "data": request.value,
            "ttl": TXT_TTL,
        }
        await api.call("POST", f"/v2/domains/{domain}/records", body)

    async def cleanup(self, request: Dns01Request) -> None:
        api, domain = await self._target(request)
        for record in await txt_records(api, domain, request.fqdn):
            if record.get("data") == request.value:
                await api.call("DELETE", f"/v2/domains/{domain}/records/{record['id']}")

    async def _target(self, request: Dns01Request) -> tuple[RestApi, str]:
        config = request.config
        if not isinstance(config, ACMEIssuerDNS01ProviderDigitalOcean):
            raise InvalidProviderConfig(
                "the digitalocean provider was handed a non-digitalocean configuration"
            )
        ref = config.token_secret_ref
        token = await secret_text(request, ref, "digitalocean.tokenSecretRef")
        api = RestApi(
            "digitalocean", endpoint_of("digitalocean", API), {"Authorization": f"Bearer {token}"}, [ref]
        )
        return api, await domain_of(api, request)
