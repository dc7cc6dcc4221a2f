"""Stand-in for Google's OAuth 2 token endpoint and the Cloud DNS v1 API, not the real service (tests only).

It serves, over HTTP on 127.0.0.1:

* `POST /token`: the JWT-bearer grant a service-account key makes (RFC 7523). The assertion's RS256
  signature is verified with the public half of the key this stand-in generated, and its issuer,
  audience, scope and lifetime are checked; a wrong one gets Google's `invalid_grant` answer;
* `/dns/v1/projects/{project}/managedZones[/{zone}/rrsets|/changes[/{id}]]`: list managed zones, list
  TXT record sets by name and type, create a Change (its deletions must match the current sets exactly,
  its additions must not exist yet, as Cloud DNS requires) and read it back. A Change is `pending` when
  created and `done` when read. Every call needs a bearer token this stand-in issued.

Record sets are written through to the BIND zone of the same DNS name.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import threading
import time
from itertools import count
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from certpilot.acme.solvers.dns01.clouddns import SCOPE
from certpilot.acme.solvers.dns01.names import absolute
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.dns_standins.standin_server import (
    TOKEN_LIFETIME,
    BindBackedZones,
    Request,
    Response,
    StandinHttpServer,
    bearer_token,
)

# What Google wants as the assertion's `aud`, whatever the key's token_uri says.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL)
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLOCK_SKEW = 300
API_PATH = re.compile(
    r"^/dns/v1/projects/(?P<project>[^/]+)/managedZones"
    r"(?:/(?P<zone>[^/]+)(?:/(?P<what>rrsets|changes)(?:/(?P<change>[^/]+))?)?)?$"
)
SECRET_NAME, SECRET_KEY = "clouddns-credentials", "key.json"


def google_error(status: int, message: str, reason: str) -> Response:
    state = {
        400: "INVALID_ARGUMENT",
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        409: "ALREADY_EXISTS",
        412: "FAILED_PRECONDITION",
    }.get(status, "UNKNOWN")
    return Response(
        status,
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "reason": reason}],
                "status": state,
            }
        },
    )


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def zone_resource_name(dns_name: str) -> str:
    return dns_name.rstrip(".").replace(".", "-")


class CloudDnsStandin:
    """Implements DnsProviderPeer for `cloudDNS` with a service-account key."""

    name = "cloudDNS"

    def __init__(self, bind: BindServer, zones: tuple[str, ...] = ()) -> None:
        self.records = BindBackedZones(bind, zones or tuple(z.name for z in bind.zones))
        self.zone = self.records.zones[0]
        self.project = "certpilot-test"
        self.client_email = f"dns01@{self.project}.iam.gserviceaccount.com"
        self.key_id = secrets.token_hex(20)
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._tokens: dict[str, float] = {}
        self._changes: dict[str, dict[str, Any]] = {}
        self._change_ids = count(1)
        self._lock = threading.Lock()
        self.server = StandinHttpServer(self.handle)

    def start(self) -> CloudDnsStandin:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def service_account_key(self, private_key: rsa.RSAPrivateKey | None = None) -> dict[str, str]:
        """A JSON key as Google issues it, with `token_uri` pointing at this stand-in."""
        pem = (private_key or self.private_key).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return {
            "type": "service_account",
            "project_id": self.project,
            "private_key_id": self.key_id,
            "private_key": pem.decode(),
            "client_email": self.client_email,
            "client_id": "1" * 21,
            "auth_uri": f"{self.server.base_url}/auth",
            "token_uri": f"{self.server.base_url}/token",
        }

    def issued_tokens(self) -> list[str]:
        """Every access token this stand-in has handed out (tests check none is ever logged)."""
        return list(self._tokens)

    # DnsProviderPeer

    def solver_config(self) -> dict[str, Any]:
        return {"project": self.project, "serviceAccountSecretRef": {"name": SECRET_NAME, "key": SECRET_KEY}}

    def secrets(self) -> dict[str, dict[str, bytes]]:
        return {SECRET_NAME: {SECRET_KEY: json.dumps(self.service_account_key()).encode()}}

    def wrong_secrets(self) -> dict[str, dict[str, bytes]]:
        """A well-formed key signed with a private key this stand-in never issued."""
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return {SECRET_NAME: {SECRET_KEY: json.dumps(self.service_account_key(other)).encode()}}

    def environment(self) -> dict[str, str]:
        return {"CERTPILOT_DNS01_CLOUDDNS_ENDPOINT": self.server.base_url}

    def txt_values(self, fqdn: str) -> set[str]:
        return set(self.records.txt(fqdn))

    # the vendor API

    def handle(self, request: Request) -> Response:
        if request.path == "/token" and request.method == "POST":
            return self._token(request.form())
        if match := API_PATH.match(request.path):
            token = bearer_token(request)
            if token is None or self._tokens.get(token, 0.0) < time.time():
                return google_error(
                    401,
                    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
                    "cookie or other valid authentication credential.",
                    "authError",
                )
            if match["project"] != self.project:
                return google_error(
                    403, f"Forbidden: the caller has no access to project {match['project']}", "forbidden"
                )
            return self._api(request, match)
        return google_error(404, f"no route for {request.method} {request.path}", "notFound")

    def _token(self, form: dict[str, str]) -> Response:
        if form.get("grant_type") != JWT_BEARER:
            return Response(
                400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type."}
            )
        problem = self._assertion_problem(form.get("assertion", ""))
        if problem:
            return Response(400, {"error": "invalid_grant", "error_description": problem})
        token = secrets.token_urlsafe(32)
        self._tokens[token] = time.time() + TOKEN_LIFETIME
        return Response(200, {"access_token": token, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"})

    def _assertion_problem(self, assertion: str) -> str | None:
        """Why the signed JWT is not acceptable, in Google's words, or None."""
        try:
            header_part, claims_part, signature_part = assertion.split(".")
            header = json.loads(b64url_decode(header_part))
            claims = json.loads(b64url_decode(claims_part))
            signature = b64url_decode(signature_part)
        except (ValueError, binascii.Error):
            return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe."
        if header.get("alg") != "RS256":
            return "Invalid JWT Signature."
        if claims.get("iss") != self.client_email:
            return "Invalid grant: account not found"
        try:
            self.private_key.public_key().verify(
                signature, f"{header_part}.{claims_part}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            return "Invalid JWT Signature."
        now = time.time()
        if claims.get("aud") != GOOGLE_TOKEN_AUDIENCE:
            return "Invalid JWT: Failed audience check."
        if not (claims.get("iat", 0) - CLOCK_SKEW <= now < claims.get("exp", 0) + CLOCK_SKEW):
            return "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe."
        if SCOPE not in str(claims.get("scope", "")).split():
            return "Invalid OAuth scope or ID token audience provided."
        return None

    def _zones(self) -> dict[str, str]:
        """Managed zone resource name -> its DNS name."""
        return {zone_resource_name(z): z for z in self.records.zones}

    def _api(self, request: Request, match: re.Match[str]) -> Response:
        zones = self._zones()
        if match["zone"] is None:
            listed = [
                {"kind": "dns#managedZone", "name": name, "dnsName": dns_name, "visibility": "public"}
                for name, dns_name in zones.items()
                if request.query.get("dnsName", dns_name) == dns_name
            ]
            return Response(200, {"kind": "dns#managedZonesListResponse", "managedZones": listed})
        dns_name = zones.get(match["zone"])
        if dns_name is None:
            return google_error(
                404,
                f"The 'parameters.managedZone' resource named '{match['zone']}' does not exist.",
                "notFound",
            )
        if match["what"] == "rrsets" and request.method == "GET":
            name = request.query.get("name")
            names = [absolute(name)] if name else []
            sets = [self._rrset(n) for n in names if self.records.txt(n)]
            if request.query.get("type", "TXT") != "TXT":
                sets = []
            return Response(200, {"kind": "dns#resourceRecordSetsListResponse", "rrsets": sets})
        if match["what"] == "changes" and request.method == "POST" and match["change"] is None:
            return self._create_change(dns_name, request.json())
        if match["what"] == "changes" and request.method == "GET" and match["change"]:
            change = self._changes.get(match["change"])
            if change is None:
                return google_error(
                    404,
                    f"The 'parameters.changeId' resource named '{match['change']}' does not exist.",
                    "notFound",
                )
            return Response(200, {**change, "status": "done"})
        return google_error(404, f"no route for {request.method} {request.path}", "notFound")

    def _rrset(self, fqdn: str) -> dict[str, Any]:
        values = self.records.txt(fqdn)
        return {
            "kind": "dns#resourceRecordSet",
            "name": absolute(fqdn),
            "type": "TXT",
            "ttl": 60,
            "rrdatas": [f'"{v}"' for v in values],
        }

    def _is_current(self, name: str, deletion: dict[str, Any]) -> bool:
        """Whether a deletion names the current TXT set exactly (type, TTL and every value)."""
        current = self.records.txt(name)
        deleted = [str(v).strip('"') for v in deletion.get("rrdatas", [])]
        return (
            bool(current)
            and deletion.get("type") == "TXT"
            and deletion.get("ttl") == 60
            and deleted == current
        )

    def _create_change(self, dns_name: str, body: object) -> Response:
        if not isinstance(body, dict):
            return google_error(400, "Invalid value for 'entity.change'", "invalid")
        with self._lock:
            after: dict[str, list[str]] = {}
            for index, deletion in enumerate(body.get("deletions") or []):
                name = absolute(str(deletion.get("name", "")))
                if not self._is_current(name, deletion):
                    return google_error(
                        412, f"Precondition not met for 'entity.change.deletions[{index}]'", "conditionNotMet"
                    )
                after[name] = []
            for index, addition in enumerate(body.get("additions") or []):
                name = absolute(str(addition.get("name", "")))
                if addition.get("type") != "TXT" or self.records.zone_of(name) != dns_name:
                    return google_error(
                        400, f"Invalid value for 'entity.change.additions[{index}].name': '{name}'", "invalid"
                    )
                if after.get(name, self.records.txt(name)):
                    return google_error(
                        409,
                        f"The resource 'entity.change.additions[{index}]' named '{name} (TXT)' "
                        "already exists",
                        "alreadyExists",
                    )
                after[name] = [str(v).strip('"') for v in addition.get("rrdatas", [])]
            for name, values in after.items():
                self.records.set_txt(name, values)
            change_id = str(next(self._change_ids))
            change = {
                "kind": "dns#change",
                "id": change_id,
                "additions": body.get("additions") or [],
                "deletions": body.get("deletions") or [],
                "startTime": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
            self._changes[change_id] = change
        return Response(200, {**change, "status": "pending"})
