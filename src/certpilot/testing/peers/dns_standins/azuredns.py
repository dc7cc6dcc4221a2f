"""Stand-in for Microsoft Entra ID's token endpoint and the Azure Resource Manager DNS record-set API,
not the real service (tests only).

It serves, over HTTPS on 127.0.0.1 (azure-identity refuses a plain-HTTP authority, azure-core a bearer
token over plain HTTP):

* `/{tenant}/v2.0/.well-known/openid-configuration` and `/{tenant}/oauth2/v2.0/token`: the
  client-credentials grant, checking the tenant, client ID, client secret and the Resource Manager scope,
  and answering a wrong one with Entra's error codes (AADSTS90002, AADSTS700016, AADSTS7000215,
  AADSTS70011);
* `/subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.Network/dnsZones[/{zone}[/TXT/{name}]]`:
  list and get zones, get / put / delete TXT record sets with ETags (If-Match, If-None-Match: *), only
  for a bearer token it issued, answering with ARM's error bodies (InvalidAuthenticationToken,
  ResourceGroupNotFound, NotFound, PreconditionFailed).

Record sets are written through to the BIND zone of the same name.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

from certpilot.acme.solvers.dns01.names import absolute
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.dns_standins.standin_server import (
    TOKEN_LIFETIME,
    BindBackedZones,
    Request,
    Response,
    StandinHttpServer,
    bearer_token,
    loopback_tls,
)

ARM_SCOPE = "https://management.azure.com/.default"
TOKEN_PATH = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$")
OPENID_PATH = re.compile(r"^/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration$")
ARM_PATH = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<group>[^/]+)"
    r"/providers/Microsoft\.Network/dnsZones(?:/(?P<zone>[^/]+)(?:/TXT/(?P<name>[^/]+))?)?$",
    re.IGNORECASE,
)
SECRET_NAME, SECRET_KEY = "azuredns-credentials", "client-secret"


def arm_error(status: int, code: str, message: str) -> Response:
    return Response(status, {"error": {"code": code, "message": message}})


def entra_error(status: int, error: str, code: int, description: str) -> Response:
    return Response(
        status,
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description}",
            "error_codes": [code],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
        },
    )


class AzureDnsStandin:
    """Implements DnsProviderPeer for `azureDNS` with a service principal."""

    name = "azureDNS"

    def __init__(self, bind: BindServer, directory: Path, zones: tuple[str, ...] = ()) -> None:
        self.records = BindBackedZones(bind, zones or tuple(z.name for z in bind.zones))
        self.zone = self.records.zones[0]
        self.tenant_id = str(uuid.uuid4())
        self.client_id = str(uuid.uuid4())
        self.client_secret = secrets.token_urlsafe(30)
        self.subscription_id = str(uuid.uuid4())
        self.resource_group = "dns-rg"
        self._tokens: dict[str, float] = {}  # issued access token -> expiry (epoch seconds)
        self._etags: dict[str, str] = {}  # absolute record name -> ETag of its TXT set
        tls, self.ca_file = loopback_tls(directory)
        self.server = StandinHttpServer(self.handle, tls)

    def start(self) -> AzureDnsStandin:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def issued_tokens(self) -> list[str]:
        """Every access token this stand-in has handed out (tests check none is ever logged)."""
        return list(self._tokens)

    # DnsProviderPeer

    def solver_config(self) -> dict[str, Any]:
        return {
            "clientID": self.client_id,
            "clientSecretSecretRef": {"name": SECRET_NAME, "key": SECRET_KEY},
            "subscriptionID": self.subscription_id,
            "tenantID": self.tenant_id,
            "resourceGroupName": self.resource_group,
            "environment": "AzurePublicCloud",
        }

    def secrets(self) -> dict[str, dict[str, bytes]]:
        return {SECRET_NAME: {SECRET_KEY: self.client_secret.encode()}}

    def environment(self) -> dict[str, str]:
        return {
            "CERTPILOT_DNS01_AZUREDNS_ENDPOINT": self.server.base_url,
            "REQUESTS_CA_BUNDLE": str(self.ca_file),
        }

    def txt_values(self, fqdn: str) -> set[str]:
        return set(self.records.txt(fqdn))

    # the vendor API

    def handle(self, request: Request) -> Response:
        if match := OPENID_PATH.match(request.path):
            return self._openid_configuration(match["tenant"])
        if (match := TOKEN_PATH.match(request.path)) and request.method == "POST":
            return self._token(match["tenant"], request.form())
        if match := ARM_PATH.match(request.path):
            return self._arm(request, match)
        return arm_error(404, "NotFound", f"no route for {request.method} {request.path}")

    def _openid_configuration(self, tenant: str) -> Response:
        if tenant != self.tenant_id:
            return entra_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        base = f"{self.server.base_url}/{tenant}"
        return Response(
            200,
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "issuer": f"{base}/v2.0",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            },
        )

    def _token(self, tenant: str, form: dict[str, str]) -> Response:
        if tenant != self.tenant_id:
            return entra_error(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return entra_error(
                400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
            )
        if form.get("client_id") != self.client_id:
            return entra_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id')}' was not found in the directory.",
            )
        if not secrets.compare_digest(form.get("client_secret", ""), self.client_secret):
            return entra_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the "
                "client secret value, not the client secret ID, for a secret added to app "
                f"'{self.client_id}'.",
            )
        if ARM_SCOPE not in form.get("scope", "").split():
            return entra_error(
                400,
                "invalid_scope",
                70011,
                "The provided value for the input parameter 'scope' is not valid.",
            )
        token = secrets.token_urlsafe(32)
        self._tokens[token] = time.time() + TOKEN_LIFETIME
        return Response(
            200,
            {
                "token_type": "Bearer",
                "expires_in": TOKEN_LIFETIME,
                "ext_expires_in": TOKEN_LIFETIME,
                "access_token": token,
            },
        )

    def _arm(self, request: Request, match: re.Match[str]) -> Response:
        token = bearer_token(request)
        if token is None:
            return arm_error(
                401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
            )
        if self._tokens.get(token, 0.0) < time.time():
            return arm_error(401, "InvalidAuthenticationToken", "The access token is invalid.")
        if "api-version" not in request.query:
            return arm_error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if match["subscription"] != self.subscription_id:
            return arm_error(
                404, "SubscriptionNotFound", f"The subscription '{match['subscription']}' could not be found."
            )
        if match["group"].lower() != self.resource_group:
            return arm_error(
                404, "ResourceGroupNotFound", f"Resource group '{match['group']}' could not be found."
            )
        zone, name = match["zone"], match["name"]
        if zone is None:
            return Response(200, {"value": [self._zone_body(z) for z in self.records.zones]})
        if absolute(zone) not in self.records.zones:
            return arm_error(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.Network/dnszones/{zone}' under resource group "
                f"'{self.resource_group}' was not found.",
            )
        if name is None:
            return Response(200, self._zone_body(absolute(zone)))
        fqdn = absolute(zone) if name == "@" else absolute(f"{name}.{zone}")
        return self._record_set(request, zone.lower().rstrip("."), name, fqdn)

    def _zone_body(self, zone: str) -> dict[str, Any]:
        name = zone.rstrip(".")
        return {
            "id": f"{self._group_id()}/providers/Microsoft.Network/dnszones/{name}",
            "name": name,
            "type": "Microsoft.Network/dnszones",
            "location": "global",
            "properties": {"zoneType": "Public", "nameServers": [f"ns1.{zone}"]},
        }

    def _group_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"

    def _record_set(self, request: Request, zone: str, name: str, fqdn: str) -> Response:
        values = self.records.txt(fqdn)
        etag = self._etags.get(fqdn) if values else None
        if request.method == "GET":
            if etag is None:
                return arm_error(
                    404,
                    "NotFound",
                    f"The resource record '{name}' does not exist in resource group "
                    f"'{self.resource_group}' of subscription '{self.subscription_id}'.",
                )
            return Response(200, self._record_set_body(zone, name, fqdn, values, etag), {"ETag": etag})
        if_match, if_none_match = request.headers.get("If-Match"), request.headers.get("If-None-Match")
        if if_none_match == "*" and etag is not None:
            return arm_error(
                412,
                "PreconditionFailed",
                f"The Record set {name} exists already and hence cannot be created again.",
            )
        if if_match is not None and if_match != etag:
            return arm_error(
                412,
                "PreconditionFailed",
                f"The condition '{if_match}' in the If-Match header was not satisfied. "
                f"The current was '{etag}'.",
            )
        if request.method == "DELETE":
            if etag is None:
                return Response(204)
            self.records.set_txt(fqdn, [])
            self._etags.pop(fqdn, None)
            return Response(200)
        if request.method != "PUT":
            return arm_error(405, "MethodNotAllowed", f"{request.method} is not served by this stand-in")
        body = request.json()
        records = body.get("properties", {}).get("TXTRecords") if isinstance(body, dict) else None
        if not isinstance(records, list) or not all(isinstance(r.get("value"), list) for r in records):
            return arm_error(400, "BadRequest", "properties.TXTRecords must be a list of {value: [string]}")
        wanted = ["".join(r["value"]) for r in records]
        self.records.set_txt(fqdn, wanted)
        new_etag = str(uuid.uuid4())
        self._etags[fqdn] = new_etag
        status = 200 if etag else 201
        return Response(status, self._record_set_body(zone, name, fqdn, wanted, new_etag), {"ETag": new_etag})

    def _record_set_body(
        self, zone: str, name: str, fqdn: str, values: list[str], etag: str
    ) -> dict[str, Any]:
        return {
            "id": f"{self._group_id()}/providers/Microsoft.Network/dnszones/{zone}/TXT/{name}",
            "name": name,
            "type": "Microsoft.Network/dnszones/TXT",
            "etag": etag,
            "properties": {
                "fqdn": fqdn,
                "TTL": 60,
                "TXTRecords": [{"value": [v]} for v in values],
                "provisioningState": "Succeeded",
            },
        }
