"""Stand-in for Akamai's Edge DNS Zone Management API v2, not the real service (tests only).

Every request must carry an EdgeGrid `Authorization: EG1-HMAC-SHA256 ...` header. The stand-in checks it
as Akamai does, recomputing the signature from the shared client secret: the signing key is
HMAC-SHA256(client secret, timestamp); the signature is HMAC-SHA256(signing key, method TAB scheme TAB host
TAB path?query TAB canonical headers (none signed) TAB SHA-256 of a POST body TAB the header without its
signature). It also refuses an unknown client or access token, a timestamp off by more than the allowed
skew and a nonce seen before, with Akamai's problem+json bodies.

It serves `GET /config-dns/v2/zones/{zone}` and GET / POST / PUT / DELETE
`/config-dns/v2/zones/{zone}/names/{name}/types/TXT`, and writes the TXT sets through to the BIND zone.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import re
import secrets
import threading
import time
from typing import Any
from urllib.parse import unquote

from certpilot.acme.solvers.dns01.names import absolute
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.dns_standins.standin_server import (
    BindBackedZones,
    Request,
    Response,
    StandinHttpServer,
)

MAX_BODY = 131072  # what EdgeGrid clients hash of a POST body
TIMESTAMP_SKEW = 300
SCHEME = "EG1-HMAC-SHA256 "
ZONE_PATH = re.compile(
    r"^/config-dns/v2/zones/(?P<zone>[^/]+)(?:/names/(?P<name>[^/]+)/types/(?P<type>[^/]+))?$"
)
SECRET_NAME = "akamai-credentials"  # noqa: S105 (a Secret's name)


def problem(status: int, title: str, detail: str, kind: str = "config-dns/v2/error") -> Response:
    return Response(
        status,
        {
            "type": f"https://problems.luna.akamaiapis.net/{kind}",
            "title": title,
            "status": status,
            "detail": detail,
        },
        {"Content-Type": "application/problem+json"},
    )


def not_authorized(detail: str) -> Response:
    return problem(401, "Not authorized", detail, "-/pep-authn/deny")


def b64_hmac_sha256(key: str, data: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), data.encode(), hashlib.sha256).digest()).decode()


class AkamaiStandin:
    """Implements DnsProviderPeer for `akamai`."""

    name = "akamai"

    def __init__(self, bind: BindServer, zones: tuple[str, ...] = ()) -> None:
        self.records = BindBackedZones(bind, zones or tuple(z.name for z in bind.zones))
        self.zone = self.records.zones[0]
        self.host = "akab-standin.luna.akamaiapis.net"
        self.client_token = "akab-" + secrets.token_hex(16)
        self.client_secret = base64.b64encode(secrets.token_bytes(32)).decode()
        self.access_token = "akab-" + secrets.token_hex(16)
        self._nonces: set[str] = set()
        self._lock = threading.Lock()
        self.server = StandinHttpServer(self.handle)

    def start(self) -> AkamaiStandin:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    # DnsProviderPeer

    def solver_config(self) -> dict[str, Any]:
        return {
            "serviceConsumerDomain": self.host,
            "clientTokenSecretRef": {"name": SECRET_NAME, "key": "client-token"},
            "clientSecretSecretRef": {"name": SECRET_NAME, "key": "client-secret"},
            "accessTokenSecretRef": {"name": SECRET_NAME, "key": "access-token"},
        }

    def secrets(self) -> dict[str, dict[str, bytes]]:
        return {
            SECRET_NAME: {
                "client-token": self.client_token.encode(),
                "client-secret": self.client_secret.encode(),
                "access-token": self.access_token.encode(),
            }
        }

    def environment(self) -> dict[str, str]:
        return {"CERTPILOT_DNS01_AKAMAI_ENDPOINT": self.server.base_url}

    def txt_values(self, fqdn: str) -> set[str]:
        return set(self.records.txt(fqdn))

    # the vendor API

    def handle(self, request: Request) -> Response:
        refusal = self._authentication_refusal(request)
        if refusal is not None:
            return refusal
        match = ZONE_PATH.match(request.path)
        if match is None:
            return problem(404, "Not Found", f"no route for {request.method} {request.path}")
        zone = absolute(unquote(match["zone"]))
        if zone not in self.records.zones:
            return problem(
                404, "Not Found", f"Zone {zone.rstrip('.')} does not exist", "config-dns/v2/not-found"
            )
        if match["name"] is None:
            if request.method != "GET":
                return problem(405, "Method Not Allowed", request.method)
            return Response(200, {"zone": zone.rstrip("."), "type": "PRIMARY", "activationState": "ACTIVE"})
        if match["type"] != "TXT":
            return problem(400, "Bad Request", "this stand-in serves TXT record sets only")
        return self._record_set(request, zone, unquote(match["name"]))

    def _authentication_refusal(self, request: Request) -> Response | None:
        """Akamai's 401 for a request whose EdgeGrid signature does not hold, or None."""
        header = request.headers.get("Authorization") or ""
        if not header.startswith(SCHEME):
            return not_authorized("Missing or invalid Authorization header (EG1-HMAC-SHA256 expected)")
        unsigned, marker, signature = header.rpartition("signature=")
        fields = dict(part.split("=", 1) for part in header[len(SCHEME) :].split(";") if "=" in part)
        if not marker or {"client_token", "access_token", "timestamp", "nonce"} - fields.keys():
            return not_authorized("Invalid authorization parameter format")
        if fields["client_token"] != self.client_token:
            return not_authorized("Invalid authorization client token")
        if fields["access_token"] != self.access_token:
            return not_authorized("Invalid authorization access token")
        try:
            stamp = calendar.timegm(time.strptime(fields["timestamp"], "%Y%m%dT%H:%M:%S+0000"))
        except ValueError:
            return not_authorized("Invalid timestamp")
        if abs(time.time() - stamp) > TIMESTAMP_SKEW:
            return not_authorized("Invalid timestamp")
        content_hash = ""
        if request.method == "POST" and request.body:
            content_hash = base64.b64encode(hashlib.sha256(request.body[:MAX_BODY]).digest()).decode()
        data = "\t".join(
            [
                request.method,
                request.scheme,
                request.headers.get("Host", ""),
                request.raw_path,
                "",
                content_hash,
                unsigned,
            ]
        )
        expected = b64_hmac_sha256(b64_hmac_sha256(self.client_secret, fields["timestamp"]), data)
        if not hmac.compare_digest(expected, signature.strip()):
            return not_authorized("The signature does not match")
        with self._lock:
            if fields["nonce"] in self._nonces:
                return not_authorized("Nonce has been used")
            self._nonces.add(fields["nonce"])
        return None

    def _record_set(self, request: Request, zone: str, name: str) -> Response:
        fqdn = absolute(name)
        if self.records.zone_of(fqdn) != zone:
            return problem(400, "Bad Request", f"Record name {name} is not in zone {zone.rstrip('.')}")
        values = self.records.txt(fqdn)
        if request.method == "GET":
            if not values:
                return problem(
                    404, "Not Found", "The requested resource was not found.", "config-dns/v2/not-found"
                )
            return Response(
                200, {"name": name, "type": "TXT", "ttl": 300, "rdata": [f'"{v}"' for v in values]}
            )
        if request.method == "DELETE":
            if not values:
                return problem(
                    404, "Not Found", "The requested resource was not found.", "config-dns/v2/not-found"
                )
            self.records.set_txt(fqdn, [])
            return Response(204)
        body = request.json()
        if not isinstance(body, dict):
            body = {}
        rdata = body.get("rdata")
        if not isinstance(rdata, list) or not rdata or body.get("name") != name or body.get("type") != "TXT":
            return problem(
                400, "Bad Request", "The record set must have this name, type TXT and non-empty rdata"
            )
        if request.method == "POST" and values:
            return problem(409, "Conflict", f"Record set {name} TXT already exists", "config-dns/v2/conflict")
        if request.method == "PUT" and not values:
            return problem(
                404, "Not Found", "The requested resource was not found.", "config-dns/v2/not-found"
            )
        if request.method not in ("POST", "PUT"):
            return problem(405, "Method Not Allowed", request.method)
        self.records.set_txt(fqdn, [str(v).strip('"') for v in rdata])
        return Response(201 if request.method == "POST" else 200, body)
