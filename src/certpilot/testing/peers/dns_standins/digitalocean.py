"""A stand-in for DigitalOcean's v2 API (domains and domain records), not the real service. Tests only.

It implements what the `digitalocean` provider calls: GET /v2/domains/{name}, GET/POST
/v2/domains/{name}/records, DELETE /v2/domains/{name}/records/{id}. Every request needs the account's
API token as a bearer token, else DigitalOcean's 401 body. Records it holds are written through to BIND.
"""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.dns_standins.base import ApiAnswer, ApiRequest, BindZoneWriter, JsonApiServer
from certpilot.testing.peers.dns_standins.peers import OTHER_ZONE

NOT_FOUND = ApiAnswer(404, {"id": "not_found", "message": "The resource you requested could not be found."})


def absolute_name(record_name: str, domain: str) -> str:
    return domain if record_name == "@" else f"{record_name}.{domain}"


@dataclass
class DigitalOceanStandin(JsonApiServer):
    bind: BindServer
    domains: tuple[str, ...]
    token: str = field(default_factory=lambda: "dop_v1_" + secrets.token_hex(32), repr=False)

    def __post_init__(self) -> None:
        super().__init__()
        self.writer = BindZoneWriter(self.bind)
        self.domain_names = {d.rstrip(".") for d in self.domains}
        self.records: dict[int, dict[str, Any]] = {}  # id -> record, with its "domain"
        self.ids = itertools.count(1000)

    def handle(self, request: ApiRequest) -> ApiAnswer:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return ApiAnswer(401, {"id": "Unauthorized", "message": "Unable to authenticate you"})
        match = re.fullmatch(r"/v2/domains/([^/]+)(/records(?:/(\d+))?)?", request.path)
        if match is None or match[1] not in self.domain_names:
            return NOT_FOUND
        domain = match[1]
        if match[2] is None and request.method == "GET":
            return ApiAnswer(200, {"domain": {"name": domain, "ttl": 1800}})
        if match[3] is None and request.method == "GET":
            return ApiAnswer(200, self.listing(domain, request.query))
        if match[3] is None and request.method == "POST":
            return self.create(domain, request.body)
        if match[3] is not None and request.method == "DELETE":
            record = self.records.get(int(match[3]))
            if record is None or record["domain"] != domain:
                return NOT_FOUND
            del self.records[record["id"]]
            self.writer.txt(absolute_name(record["name"], domain), record["data"], add=False)
            return ApiAnswer(204)
        return NOT_FOUND

    def listing(self, domain: str, query: dict[str, str]) -> dict[str, Any]:
        found = [
            {k: v for k, v in r.items() if k != "domain"}
            for r in self.records.values()
            if r["domain"] == domain
            and r["type"] == query.get("type", r["type"])
            and absolute_name(r["name"], domain) == query.get("name", absolute_name(r["name"], domain))
        ]
        return {"domain_records": found, "links": {}, "meta": {"total": len(found)}}

    def create(self, domain: str, body: Any) -> ApiAnswer:
        if (
            not isinstance(body, dict)
            or body.get("type") != "TXT"
            or not body.get("data")
            or not body.get("name")
        ):
            return ApiAnswer(
                422, {"id": "unprocessable_entity", "message": "type, name and data are required"}
            )
        record: dict[str, Any] = {
            "id": next(self.ids),
            "domain": domain,
            "type": "TXT",
            "name": str(body["name"]),
            "data": str(body["data"]),
            "ttl": int(body.get("ttl", 1800)),
        }
        self.records[record["id"]] = record
        self.writer.txt(absolute_name(record["name"], domain), record["data"], add=True)
        return ApiAnswer(201, {"domain_record": {k: v for k, v in record.items() if k != "domain"}})


@dataclass
class DigitalOceanPeer:
    bind: BindServer
    zone: str = "example.test."
    name: str = "digitalocean"

    def __post_init__(self) -> None:
        self.standin = DigitalOceanStandin(self.bind, (self.zone, OTHER_ZONE))

    def start(self) -> DigitalOceanPeer:
        self.standin.start()
        return self

    def stop(self) -> None:
        self.standin.stop()

    def solver_config(self) -> dict[str, Any]:
        return {"tokenSecretRef": {"name": "digitalocean", "key": "access-token"}}

    def secrets(self) -> dict[str, dict[str, bytes]]:
        return {"digitalocean": {"access-token": self.standin.token.encode()}}

    def environment(self) -> dict[str, str]:
        return {"CERTPILOT_DNS01_DIGITALOCEAN_ENDPOINT": self.standin.url}

    def txt_values(self, fqdn: str) -> set[str]:
        name = fqdn.lower().rstrip(".")
        with self.standin.lock:
            return {
                r["data"]
                for r in self.standin.records.values()
                if absolute_name(r["name"], r["domain"]) == name
            }
