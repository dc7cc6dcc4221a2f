"""Stand-ins for the Venafi TPP and Venafi Cloud REST endpoints certpilot calls through vcert,
over HTTPS on 127.0.0.1 (no Venafi server can run here). Both sign with their own test CA.

TPP: OAuth login, checkpolicy, certificate request and retrieve. It refuses common names outside
`allowed_domain` the way a TPP policy folder does (HTTP 400 with an Error text), and answers the
first `pending_pickups` retrieves with 202 (still being issued).
Cloud: user account, application, issuing template (whose CN / SAN regexes are the zone policy),
certificate request, request status and certificate contents.
NGTS: Cloud's certificate endpoints under /ngts with a Bearer token from an OAuth 2.0
client-credentials endpoint, and zones that name an issuing template alone.
"""

from __future__ import annotations

import base64
import json
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID

ACCESS_TOKEN = "tpp-access-token-never-shown"
Answer = tuple[int, Any]


_CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


def _certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: tuple[x509.Certificate, Any] | None
) -> x509.Certificate:
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer[0].subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=2))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    # RFC 5280's key identifiers and CA key usage, which Python 3.13's default TLS context demands
    # (VERIFY_X509_STRICT), as a real Venafi's certificates have.
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        builder = builder.add_extension(_CA_KEY_USAGE, critical=True)
    else:
        san = x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))])
        builder = builder.add_extension(san, critical=False)
        authority = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[0].public_key())
        builder = builder.add_extension(authority, critical=False)
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256())


def _handler_for(answer: Callable[[str, str, Any, Any], Answer]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.headers.get("Content-Type") == "application/x-www-form-urlencoded":
                body: Any = dict(parse_qsl(raw.decode()))
            else:
                body = json.loads(raw) if raw else None
            status, value = answer(method, self.path, body, self.headers)
            is_text = isinstance(value, str)
            data = value.encode() if is_text else json.dumps(value).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if is_text else "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._reply("GET")

        def do_POST(self) -> None:
            self._reply("POST")

        def log_message(self, *args: object) -> None:
            """Quiet."""

    return Handler


class HTTPSStandIn:
    """An HTTPS server on 127.0.0.1 whose certificate is signed by its own CA (`ca_pem`)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca = _certificate(f"{type(self).__name__} CA", self.ca_key, None)
        self.ca_pem = self.ca.public_bytes(Encoding.PEM)

    def answer(self, method: str, path: str, body: Any, headers: Any) -> Answer:
        """(HTTP status, a JSON value or PEM text)."""
        raise NotImplementedError

    def start(self) -> str:
        """Serve in a thread; returns https://127.0.0.1:<port>."""
        tls_key = ec.generate_private_key(ec.SECP256R1())
        tls_cert = _certificate("127.0.0.1", tls_key, (self.ca, self.ca_key))
        cert_path, key_path = self.directory / "stand-in.crt", self.directory / "stand-in.key"
        cert_path.write_bytes(tls_cert.public_bytes(Encoding.PEM))
        key_path.write_bytes(tls_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self.answer))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def sign(self, csr: x509.CertificateSigningRequest) -> str:
        """PEM of a certificate for the CSR followed by the CA (root last)."""
        now = datetime.now(UTC)
        leaf = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.ca.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(hours=1))
            .sign(self.ca_key, hashes.SHA256())
        )
        return (leaf.public_bytes(Encoding.PEM) + self.ca_pem).decode()


class TPPStandIn(HTTPSStandIn):
    def __init__(
        self, directory: Path, username: str, password: str, allowed_domain: str = "example.test"
    ) -> None:
        super().__init__(directory)
        self.username = username
        self.password = password
        self.allowed_domain = allowed_domain
        self.pending_pickups = 0
        self.requests: list[dict[str, Any]] = []
        self.issued: dict[str, str] = {}

    def start(self) -> str:
        """The URL as a cert-manager Issuer gives it: https://<host>/vedsdk."""
        return f"{super().start()}/vedsdk"

    def answer(self, method: str, path: str, body: Any, headers: Any) -> Answer:
        if path == "/vedauth/authorize/oauth":
            if (body.get("username"), body.get("password")) != (self.username, self.password):
                return 401, {
                    "error": "invalid_grant",
                    "error_description": "Username/password combination not valid",
                }
            return 200, {
                "access_token": ACCESS_TOKEN,
                "refresh_token": "r",
                "expires": int(time.time()) + 3600,
            }
        if headers.get("Authorization", "") != f"Bearer {ACCESS_TOKEN}":
            return 401, {"Error": "Unauthorized"}
        if path == "/vedsdk/certificates/checkpolicy":
            return 200, self.policy()
        if path == "/vedsdk/certificates/request":
            return self.request(body)
        if path == "/vedsdk/certificates/retrieve":
            return self.retrieve(body["CertificateDN"])
        return 404, {"Error": f"no route {path}"}

    def policy(self) -> dict[str, Any]:
        unlocked = {"Value": "", "Locked": False}
        return {
            "Policy": {
                "Subject": {
                    "Organization": unlocked,
                    "OrganizationalUnit": {"Values": [], "Locked": False},
                    "Country": unlocked,
                    "State": unlocked,
                    "City": unlocked,
                },
                "KeyPair": {
                    "KeyAlgorithm": {"Value": "ECC", "Locked": False},
                    "KeySize": {"Value": 2048, "Locked": False},
                    "EllipticCurve": {"Value": "P256", "Locked": False},
                },
            }
        }

    def request(self, body: dict[str, Any]) -> Answer:
        csr = x509.load_pem_x509_csr(body["PKCS10"].encode())
        common_name = str(csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
        if not common_name.endswith(f".{self.allowed_domain}"):
            return 400, {
                "Error": f"Subject CN {common_name} is not permitted by the policy of {body['PolicyDN']}"
            }
        self.requests.append(body)
        dn = f"{body['PolicyDN']}\\{body['ObjectName']}"
        self.issued[dn] = self.sign(csr)
        return 200, {"CertificateDN": dn, "Guid": f"{{{uuid.uuid4()}}}"}

    def retrieve(self, dn: str) -> Answer:
        if dn not in self.issued:
            return 400, {"Error": f"Certificate {dn} does not exist"}
        if self.pending_pickups > 0:
            self.pending_pickups -= 1
            return 202, {"Stage": 500, "Status": "Pending approval"}
        return 200, {"CertificateData": base64.b64encode(self.issued[dn].encode()).decode()}


class CloudStandIn(HTTPSStandIn):
    """Application `app` with issuing template `template` (zone `app\\template`), allowing common
    names and DNS names that match `regex`."""

    def __init__(self, directory: Path, api_key: str, regex: str = r".*\.example\.test") -> None:
        super().__init__(directory)
        self.api_key = api_key
        self.regex = regex
        self.requests: list[dict[str, Any]] = []
        self.issued: dict[str, str] = {}

    def answer(self, method: str, path: str, body: Any, headers: Any) -> Answer:
        if headers.get("tppl-api-key") != self.api_key:
            return 401, {"errors": [{"code": 10001, "message": "Invalid api key"}]}
        return self.route(method, path.split("?", maxsplit=1)[0].removeprefix("/"), body)

    def route(self, method: str, route: str, body: Any) -> Answer:
        base = "outagedetection/v1/"
        if route == "v1/useraccounts":
            return 200, {"user": {"username": "certpilot"}, "company": {"id": "c1"}, "apiKey": {}}
        if route == f"{base}applications/name/app":
            return 200, {"id": "app-id", "certificateIssuingTemplateAliasIdMap": {"template": "cit-id"}}
        if route == f"{base}applications/app/certificateissuingtemplates/template":
            return 200, {"id": "cit-id", "subjectCNRegexes": [self.regex], "sanRegexes": [self.regex]}
        if route == f"{base}certificaterequests" and method == "POST":
            return self.request(body)
        if route.startswith(f"{base}certificaterequests/"):
            request_id = route.rsplit("/", 1)[1]
            return 200, {
                "id": request_id,
                "status": "ISSUED",
                "subjectDN": "x",
                "certificateIds": [request_id],
            }
        if route.startswith(f"{base}certificates/") and route.endswith("/contents"):
            return 200, self.issued[route.split("/")[-2]]
        if route.startswith(f"{base}certificates/"):
            return 200, {"id": route.rsplit("/", 1)[1]}
        return 404, {"errors": [{"code": 404, "message": f"no route {route}"}]}

    def request(self, body: dict[str, Any]) -> Answer:
        self.requests.append(body)
        request_id = str(uuid.uuid4())
        self.issued[request_id] = self.sign(
            x509.load_pem_x509_csr(body["certificateSigningRequest"].encode())
        )
        return 201, {"certificateRequests": [{"id": request_id, "certificateIds": [request_id]}]}


class NGTSStandIn(CloudStandIn):
    """Issuing template `template` (the whole zone) under https://<host>/ngts; tokens from
    POST /oauth2/access_token for `client_id` / `client_secret` (HTTP Basic) and scope
    tsg_id:`tsg_id`. `token_requests` records each token request's form."""

    def __init__(self, directory: Path, client_id: str, client_secret: str, tsg_id: str) -> None:
        super().__init__(directory, api_key="")
        self.basic = "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self.tsg_id = tsg_id
        self.token_requests: list[dict[str, str]] = []

    def answer(self, method: str, path: str, body: Any, headers: Any) -> Answer:
        route = path.split("?", maxsplit=1)[0]
        if route == "/oauth2/access_token" and method == "POST":
            self.token_requests.append(body)
            if headers.get("Authorization") != self.basic or body.get("scope") != f"tsg_id:{self.tsg_id}":
                return 401, {"error": "invalid_client"}
            return 200, {"token_type": "Bearer", "access_token": ACCESS_TOKEN, "expires_in": 900}
        if headers.get("Authorization") != f"Bearer {ACCESS_TOKEN}":
            return 401, {"errors": [{"code": 10001, "message": "Invalid token"}]}
        route = route.removeprefix("/ngts/")
        if route == "v1/certificateissuingtemplates":
            return 200, {
                "certificateIssuingTemplates": [
                    {
                        "id": "cit-id",
                        "name": "template",
                        "subjectCNRegexes": [self.regex],
                        "sanRegexes": [self.regex],
                    }
                ]
            }
        return self.route(method, route, body)
