"""What the DNS vendor stand-ins share: a small JSON HTTP server on 127.0.0.1 in a thread, and the
write-through of the records they hold to a real BIND 9 zone by RFC2136, so that propagation checks and
CNAME-following go through real DNS. Tests only."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.tsig
import dns.update

from certpilot.testing.peers.bind import LOOPBACK, BindServer


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
        key = dns.tsig.Key(self.bind.tsig_key_name, self.bind.tsig_secret, self.bind.tsig_algorithm)
        update = dns.update.UpdateMessage(self.zone_of(fqdn), keyring=key)
        owner = fqdn if fqdn.endswith(".") else fqdn + "."
        if add:
            update.add(owner, 60, rdtype, rdata)
        else:
            update.delete(owner, rdtype, rdata)
        answer = dns.query.tcp(update, LOOPBACK, port=self.bind.port, timeout=5)
        if answer.rcode() != dns.rcode.NOERROR:
            raise RuntimeError(f"BIND refused the update of {fqdn}: {dns.rcode.to_text(answer.rcode())}")


class JsonApiServer:
    """A ThreadingHTTPServer on 127.0.0.1:<free port> that hands every request to `handle`."""

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("start() the stand-in first")
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def handle(self, request: ApiRequest) -> ApiAnswer:
        raise NotImplementedError

    def start(self) -> JsonApiServer:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    answer = ApiAnswer(400, {"error": "malformed JSON body"})
                else:
                    request = ApiRequest(
                        self.command,
                        parts.path,
                        {k: v[0] for k, v in parse_qs(parts.query).items()},
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                    )
                    with api.lock:
                        answer = api.handle(request)
                data = b"" if answer.body is None else json.dumps(answer.body).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
