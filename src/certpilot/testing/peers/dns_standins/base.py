"""The JSON vendor APIs (Cloudflare, DigitalOcean, ACME-DNS, the Route53 bridge) on the stand-ins'
shared HTTP server, and single-record writes to the suite's BIND 9 by RFC2136, so that propagation
checks and CNAME-following go through real DNS. Tests only."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.tsig
import dns.update

from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.dns_standins.standin_server import Request, Response, StandinHttpServer


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: Any


@dataclass(frozen=True)
class ApiAnswer:
    status: int
    body: Any = None  # JSON-encodable; None sends an empty body


class BindZoneWriter:
    """Adds and deletes single records in the zones of a BindServer, signed with its update key."""

    def __init__(self, bind: BindServer) -> None:
        self.bind = bind

    def zone_of(self, fqdn: str) -> str:
        name = fqdn.lower().rstrip(".")
        zones = [z.name for z in self.bind.zones if name == z.name or name.endswith("." + z.name)]
        if not zones:
            raise ValueError(f"BIND at {self.bind.address} serves no zone holding {fqdn}")
        return max(zones, key=len) + "."

    def txt(self, fqdn: str, value: str, add: bool) -> None:
        rdata = dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, [value.encode()])
        self._send(fqdn, "TXT", rdata.to_text(), add)

    def cname(self, fqdn: str, target: str) -> None:
        self._send(fqdn, "CNAME", target, add=True)

    def _send(self, fqdn: str, rdtype: str, rdata: str, add: bool) -> None:
        owner = fqdn if fqdn.endswith(".") else fqdn + "."
        if add:
            self.bind.send_update(self.zone_of(fqdn), lambda update: update.add(owner, 60, rdtype, rdata))
        else:
            self.bind.send_update(self.zone_of(fqdn), lambda update: update.delete(owner, rdtype, rdata))


class JsonApiServer:
    """A stand-in vendor API on the shared StandinHttpServer: JSON in, JSON out. Subclasses implement
    `handle`, which is called under `lock`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._http = StandinHttpServer(self._answer)

    @property
    def url(self) -> str:
        return self._http.base_url

    def handle(self, request: ApiRequest) -> ApiAnswer:
        raise NotImplementedError

    def _answer(self, request: Request) -> Response:
        try:
            body = json.loads(request.body) if request.body else None
        except ValueError:
            return Response(400, {"error": "malformed JSON body"})
        headers = {name.lower(): value for name, value in request.headers.items()}
        with self.lock:
            answer = self.handle(ApiRequest(request.method, request.path, request.query, headers, body))
        return Response(answer.status, answer.body)

    def start(self) -> JsonApiServer:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()
