"""The `acmeDNS` DNS-01 provider: joohoi's acme-dns REST API (`POST <host>/update`).

`accountSecretRef` holds the JSON that acme-dns' `/register` answers, one account per domain, as
cert-manager reads it: `{"example.com": {"username": ..., "password": ..., "fulldomain": ...,
"subdomain": ...}}`. The user points `_acme-challenge.<domain>` at the account's `fulldomain` by a CNAME.

acme-dns keeps the two latest TXT values of a subdomain and has no delete: presenting a value
replaces the older of the two, and cleanup leaves the values to be replaced by the next challenge (as
cert-manager does). So an apex and a wildcard challenge can be solved at once, but a third value
pushes out the first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from certpilot.acme.solvers.dns01.credentials import secret_text
from certpilot.acme.solvers.dns01.errors import InvalidProviderConfig
from certpilot.acme.solvers.dns01.provider import Dns01Request
from certpilot.acme.solvers.dns01.rest import RestApi
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderAcmeDNS


@dataclass(frozen=True)
class AcmeDnsAccount:
    subdomain: str
    username: str
    password: str = field(repr=False)


async def account_for(config: ACMEIssuerDNS01ProviderAcmeDNS, request: Dns01Request) -> AcmeDnsAccount:
    """The account registered for the challenge's domain, from the accounts JSON in the Secret."""
    ref = config.account_secret_ref
    where = f"Secret {ref.name!r} key {ref.key!r}"
    try:
        accounts = json.loads(await secret_text(request, ref, "acmeDNS.accountSecretRef"))
    except ValueError:
        raise InvalidProviderConfig(f"acmeDNS: {where} is not JSON (acme-dns accounts by domain)") from None
    if not isinstance(accounts, dict):
        raise InvalidProviderConfig(f"acmeDNS: {where} must hold a JSON object of accounts by domain")
    domain = request.dns_name.lower().rstrip(".")
    account = accounts.get(domain, accounts.get(domain.removeprefix("*.")))
    if account is None:
        raise InvalidProviderConfig(f"acmeDNS: {where} has no account for domain {domain!r}")
    try:
        return AcmeDnsAccount(str(account["subdomain"]), str(account["username"]), str(account["password"]))
    except (KeyError, TypeError):
        raise InvalidProviderConfig(
            f"acmeDNS: the account for {domain!r} in {where} needs subdomain, username and password"
        ) from None


class AcmeDnsProvider:
    async def present(self, request: Dns01Request) -> None:
        config = request.config
        if not isinstance(config, ACMEIssuerDNS01ProviderAcmeDNS):
            raise InvalidProviderConfig("the acmeDNS provider was handed a non-acmeDNS configuration")
        account = await account_for(config, request)
        headers = {"X-Api-User": account.username, "X-Api-Key": account.password}
        api = RestApi("acmeDNS", config.host, headers, [config.account_secret_ref])
        await api.call("POST", "/update", {"subdomain": account.subdomain, "txt": request.value})

    async def cleanup(self, request: Dns01Request) -> None:
        """Nothing to do: acme-dns cannot delete a value, the next present replaces it."""
