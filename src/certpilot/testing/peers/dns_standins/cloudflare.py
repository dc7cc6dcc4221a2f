"""A stand-in for Cloudflare's v4 API (zones and DNS records), not the real service. Tests only.

It implements what the `cloudflare` provider calls: GET /zones?name=, GET/POST /zones/{id}/dns_records,
DELETE /zones/{id}/dns_records/{id}, under /client/v4. Authentication is checked as Cloudflare does: a
bearer API token, or X-Auth-Email with X-Auth-Key (the global API key); anything else gets Cloudflare's
403 error envelope. Records it holds are written through to BIND.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.dns_standins.base import ApiAnswer, ApiRequest, BindZoneWriter, JsonApiServer
from certpilot.testing.peers.dns_standins.peers import OTHER_ZONE

PREFIX = "/client/v4"


def envelope(result: Any, status: int = 200) -> ApiAnswer:
    return ApiAnswer(status, {"success": True, "errors": [], "messages": [], "result": result})


def failure(status: int, code: int, message: str) -> ApiAnswer:
    body = {"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None}
    return ApiAnswer(status, body)


@dataclass
class CloudflareStandin(JsonApiServer):
    bind: BindServer
    zones: tuple[str, ...]
    api_token: str = field(default_factory=lambda: secrets.token_urlsafe(30), repr=False)
    email: str = "dns-admin@example.test"
    api_key: str = field(default_factory=lambda: secrets.token_hex(19), repr=False)

    def __post_init__(self) -> None:
        super().__init__()
        self.writer = BindZoneWriter(self.bind)
        self.zone_ids = {name.rstrip("."): secrets.token_hex(16) for name in self.zones}
        self.records: dict[str, dict[str, Any]] = {}  # id -> record

    def authenticated(self, headers: dict[str, str]) -> ApiAnswer | None:
        """None when the request carries valid credentials, else Cloudflare's error."""
        if "authorization" in headers:
            if headers["authorization"] == f"Bearer {self.api_token}":
                return None
            return failure(403, 10000, "Authentication error")
        if headers.get("x-auth-email") == self.email and headers.get("x-auth-key") == self.api_key:
            return None
        return failure(403, 9103, "Unknown X-Auth-Key or X-Auth-Email")

    def handle(self, request: ApiRequest) -> ApiAnswer:
        refused = self.authenticated(request.headers)
        if refused is not None:
            return refused
        path = request.path.removeprefix(PREFIX)
        if path == "/zones" and request.method == "GET":
            name = request.query.get("name", "")
            return envelope([{"id": i, "name": n} for n, i in self.zone_ids.items() if n == name])
        match = re.fullmatch(r"/zones/([0-9a-f]+)/dns_records(?:/([0-9a-f]+))?", path)
        zone = next((n for n, i in self.zone_ids.items() if match and i == match[1]), None)
        if match is None or zone is None:
            return failure(
                404, 7003, "Could not route to the path, perhaps your object identifier is invalid?"
            )
        if request.method == "GET" and match[2] is None:
            return envelope(
                [
                    r
                    for r in self.records.values()
                    if r["zone_id"] == match[1]
                    and r["type"] == request.query.get("type", r["type"])
                    and r["name"] == request.query.get("name", r["name"])
                ]
            )
        if request.method == "POST" and match[2] is None:
            return self.create(match[1], zone, request.body)
        if request.method == "DELETE" and match[2] in self.records:
            record = self.records.pop(match[2])
            self.writer.txt(record["name"], record["content"], add=False)
            return envelope({"id": record["id"]})
        return failure(404, 81044, "Record does not exist.")

    def create(self, zone_id: str, zone: str, body: Any) -> ApiAnswer:
        if not isinstance(body, dict) or body.get("type") != "TXT" or not body.get("content"):
            return failure(400, 9000, "DNS record type, name and content are required")
        name = str(body.get("name", "")).lower().rstrip(".")
        if not (name == zone or name.endswith("." + zone)):
            return failure(400, 9005, "Content for record name is invalid: not in the zone")
        if any(r["name"] == name and r["content"] == body["content"] for r in self.records.values()):
            return failure(400, 81058, "An identical record already exists.")
        record: dict[str, Any] = {
            "id": secrets.token_hex(16),
            "zone_id": zone_id,
            "zone_name": zone,
            "type": "TXT",
            "name": name,
            "content": str(body["content"]),
            "ttl": int(body.get("ttl", 1)),
        }
        self.records[record["id"]] = record
        self.writer.txt(name, record["content"], add=True)
        return envelope(record)


@dataclass
class CloudflarePeer:
    """The conformance peer for `cloudflare`, authenticating with an API token or the legacy email + key."""

    bind: BindServer
    zone: str = "example.test."
    legacy_api_key: bool = False
    name: str = "cloudflare"

    def __post_init__(self) -> None:
        self.standin = CloudflareStandin(self.bind, (self.zone, OTHER_ZONE))

    def start(self) -> CloudflarePeer:
        self.standin.start()
        return self

    def stop(self) -> None:
        self.standin.stop()

    def solver_config(self) -> dict[str, Any]:
        if self.legacy_api_key:
            ref = {"name": "cloudflare-key", "key": "api-key"}
            return {"email": self.standin.email, "apiKeySecretRef": ref}
        return {"apiTokenSecretRef": {"name": "cloudflare-token", "key": "api-token"}}

    def secrets(self) -> dict[str, dict[str, bytes]]:
        if self.legacy_api_key:
            return {"cloudflare-key": {"api-key": self.standin.api_key.encode()}}
        return {"cloudflare-token": {"api-token": self.standin.api_token.encode()}}

    def environment(self) -> dict[str, str]:
        return {"CERTPILOT_DNS01_CLOUDFLARE_ENDPOINT": self.standin.url + PREFIX}

    def txt_values(self, fqdn: str) -> set[str]:
        name = fqdn.lower().rstrip(".")
        with self.standin.lock:
            return {r["content"] for r in self.standin.records.values() if r["name"] == name}
