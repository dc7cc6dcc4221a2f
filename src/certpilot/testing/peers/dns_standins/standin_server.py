"""What the DNS vendor stand-ins share: a small threaded HTTP(S) server on 127.0.0.1, and the TXT records
they hold, written through to a real BIND zone by TSIG-signed RFC2136 updates.

The server runs in its own thread, so it serves a provider's blocking SDK calls (made from worker threads)
and a test's event loop alike.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from certpilot.acme.solvers.dns01.names import absolute
from certpilot.acme.solvers.dns01.provider import TXT_TTL
from certpilot.testing.peers.bind import LOOPBACK, BindServer

TOKEN_LIFETIME = 3600  # seconds: the access tokens the stand-ins issue live as long as the vendors'


@dataclass(frozen=True)
class Request:
    method: str
    scheme: str
    path: str
    query: dict[str, str]
    raw_path: str  # path and query exactly as sent (signatures cover it)
    headers: Message
    body: bytes

    def json(self) -> object:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


@dataclass(frozen=True)
class Response:
    status: int
    body: object = None  # sent as JSON unless None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]


class StandinHttpServer:
    """Serves `handler` on 127.0.0.1 (HTTPS when `tls` is given) from a background thread."""

    def __init__(self, handler: Handler, tls: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.tls = tls
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("start() the stand-in first")
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{LOOPBACK}:{self._server.server_address[1]}"

    def start(self) -> StandinHttpServer:
        handler, scheme = self.handler, "https" if self.tls else "http"

        class RequestHandler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                request = Request(
                    method=self.command,
                    scheme=scheme,
                    path=parts.path,
                    query=dict(parse_qsl(parts.query)),
                    raw_path=self.path,
                    headers=self.headers,
                    body=self.rfile.read(length) if length else b"",
                )
                try:
                    response = handler(request)
                except Exception as err:  # a stand-in bug: answer 500 so the test sees it
                    response = Response(500, {"error": f"stand-in failed: {type(err).__name__}: {err}"})
                body = b"" if response.body is None else json.dumps(response.body).encode()
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                if response.body is not None:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: pytest shows the test's own output."""

        server = ThreadingHTTPServer((LOOPBACK, 0), RequestHandler)
        server.daemon_threads = True
        if self.tls is not None:
            server.socket = self.tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="dns-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)


def loopback_tls(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1, and the PEM file a client
    trusts it with (e.g. as REQUESTS_CA_BUNDLE)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dns stand-in")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(LOOPBACK))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "standin.crt", directory / "standin.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context, cert_path


class BindBackedZones:
    """The TXT record sets a stand-in vendor holds, per absolute name; every change is written to `bind`
    (the whole TXT set replaced, or deleted when empty) before the vendor API answers."""

    def __init__(self, bind: BindServer, zones: Sequence[str]) -> None:
        self.bind = bind
        self.zones = [absolute(z) for z in zones]
        self._txt: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def zone_of(self, fqdn: str) -> str | None:
        """The longest zone this vendor hosts that holds `fqdn`."""
        name = absolute(fqdn)
        holding = [z for z in self.zones if name == z or name.endswith("." + z)]
        return max(holding, key=len) if holding else None

    def txt(self, fqdn: str) -> list[str]:
        with self._lock:
            return list(self._txt.get(absolute(fqdn), []))

    def set_txt(self, fqdn: str, values: Iterable[str]) -> None:
        name, wanted = absolute(fqdn), list(dict.fromkeys(values))
        zone = self.zone_of(name)
        if zone is None:
            raise ValueError(f"{name} is outside the stand-in's zones")
        with self._lock:
            self._write_through(zone, name, wanted)
            if wanted:
                self._txt[name] = wanted
            else:
                self._txt.pop(name, None)

    def _write_through(self, zone: str, name: str, values: list[str]) -> None:
        if values:
            self.bind.send_update(
                zone, lambda update: update.replace(name, TXT_TTL, "TXT", *(f'"{v}"' for v in values))
            )
        else:
            self.bind.send_update(zone, lambda update: update.delete(name, "TXT"))


def bearer_token(request: Request) -> str | None:
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
