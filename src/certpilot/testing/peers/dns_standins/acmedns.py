"""A stand-in for joohoi's acme-dns HTTP API (POST /update), not the real service. Tests only.

Accounts are registered in-process (as acme-dns' /register would), each with a subdomain of the
acme-dns zone. /update checks X-Api-User and X-Api-Key against the account and that the subdomain is
the account's, as acme-dns does (401 {"error": "forbidden"} otherwise), accepts only 43-character TXT
values, and keeps the two latest values per subdomain, replacing the older one. The values are written
through to BIND at `<subdomain>.<acme-dns zone>`, where `_acme-challenge.<domain>` points by CNAME.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.dns_standins.base import ApiAnswer, ApiRequest, BindZoneWriter, JsonApiServer

ACME_DNS_ZONE = "acme-dns.test."
TXT_LENGTH = 43  # a base64url SHA-256 digest, the only values acme-dns accepts


@dataclass(frozen=True)
class Account:
    subdomain: str
    username: str
    password: str = field(repr=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "password": self.password,
            "fulldomain": f"{self.subdomain}.{ACME_DNS_ZONE.rstrip('.')}",
            "subdomain": self.subdomain,
            "allowfrom": [],
        }


@dataclass
class AcmeDnsStandin(JsonApiServer):
    bind: BindServer

    def __post_init__(self) -> None:
        super().__init__()
        self.writer = BindZoneWriter(self.bind)
        self.accounts: dict[str, Account] = {}  # username -> account
        self.values: dict[str, list[str]] = {}  # subdomain -> the latest values, oldest first

    def register(self) -> Account:
        account = Account(str(uuid.uuid4()), str(uuid.uuid4()), secrets.token_urlsafe(30))
        with self.lock:
            self.accounts[account.username] = account
        return account

    def handle(self, request: ApiRequest) -> ApiAnswer:
        if request.method != "POST" or request.path != "/update":
            return ApiAnswer(404, {"error": "not found"})
        account = self.accounts.get(request.headers.get("x-api-user", ""))
        if account is None or not secrets.compare_digest(
            account.password, request.headers.get("x-api-key", "")
        ):
            return ApiAnswer(401, {"error": "forbidden"})
        body = request.body if isinstance(request.body, dict) else {}
        if body.get("subdomain") != account.subdomain:
            return ApiAnswer(401, {"error": "forbidden"})
        txt = body.get("txt")
        if not isinstance(txt, str) or len(txt) != TXT_LENGTH:
            return ApiAnswer(400, {"error": "bad_txt"})
        values = self.values.setdefault(account.subdomain, [])
        fqdn = f"{account.subdomain}.{ACME_DNS_ZONE}"
        if len(values) == 2:
            replaced = values.pop(0)
            if replaced not in values:
                self.writer.txt(fqdn, replaced, add=False)
        values.append(txt)
        self.writer.txt(fqdn, txt, add=True)
        return ApiAnswer(200, {"txt": txt})


@dataclass
class AcmeDnsPeer:
    """The conformance peer for `acmeDNS`: one account per domain in `domains`, each domain's
    `_acme-challenge` CNAMEd to its account's subdomain in BIND."""

    bind: BindServer
    domains: tuple[str, ...]
    zone: str = "example.test."
    name: str = "acmeDNS"

    def __post_init__(self) -> None:
        self.standin = AcmeDnsStandin(self.bind)
        self.accounts: dict[str, Account] = {}

    def start(self) -> AcmeDnsPeer:
        self.standin.start()
        writer = BindZoneWriter(self.bind)
        for domain in self.domains:
            account = self.accounts[domain] = self.standin.register()
            writer.cname(f"_acme-challenge.{domain}.", f"{account.subdomain}.{ACME_DNS_ZONE}")
        return self

    def stop(self) -> None:
        self.standin.stop()

    def solver_config(self) -> dict[str, Any]:
        ref = {"name": "acme-dns", "key": "acmedns.json"}
        return {"host": self.standin.url, "accountSecretRef": ref}

    def secrets(self) -> dict[str, dict[str, bytes]]:
        accounts = {domain: account.as_json() for domain, account in self.accounts.items()}
        return {"acme-dns": {"acmedns.json": json.dumps(accounts).encode()}}

    def wrong_secrets(self) -> dict[str, dict[str, bytes]]:
        accounts = {d: a.as_json() | {"password": "not-" + a.password} for d, a in self.accounts.items()}
        return {"acme-dns": {"acmedns.json": json.dumps(accounts).encode()}}

    def environment(self) -> dict[str, str]:
        return {}

    def txt_values(self, fqdn: str) -> set[str]:
        """The values of the account whose subdomain `fqdn` is, or whose domain's challenge name it is."""
        name = fqdn.lower().rstrip(".")
        with self.standin.lock:
            for domain, account in self.accounts.items():
                if name in (f"_acme-challenge.{domain}", f"{account.subdomain}.{ACME_DNS_ZONE.rstrip('.')}"):
                    return set(self.standin.values.get(account.subdomain, []))
        return set()
