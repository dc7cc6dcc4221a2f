"""The `route53` DNS-01 provider, through boto3 (the `certpilot[route53]` extra).

Credentials, as cert-manager takes them: a static key (`accessKeyID` or `accessKeyIDSecretRef`, with
`secretAccessKeySecretRef`), else the ambient AWS chain (environment, shared config, instance role) only
when the issuer allows ambient credentials; then `role` is assumed through STS when set. The hosted zone
is `hostedZoneID`, else the public zone whose name is the closest parent of the record's name
(ListHostedZonesByName). A TXT record set holds every value under its name: present adds this value to
the set and cleanup removes only it (deleting the set with its last value), so two challenges share a
name. boto3 blocks, so its calls run in a worker thread. The endpoint is boto3's own setting
(`AWS_ENDPOINT_URL_ROUTE_53` / `AWS_ENDPOINT_URL`), which tests point at moto's server.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from certpilot.acme.solvers.dns01.credentials import describe_sources, secret_text
from certpilot.acme.solvers.dns01.errors import (
    InvalidProviderConfig,
    ProviderApiError,
    ProviderCredentialsRejected,
    ZoneNotFound,
    sdk_missing,
)
from certpilot.acme.solvers.dns01.names import parent_names
from certpilot.acme.solvers.dns01.provider import Dns01Request
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderRoute53
from certpilot.api.meta import SecretKeySelector

TXT_TTL = 10
DEFAULT_REGION = "us-east-1"  # Route53 is global; STS and the SDK still want a region
CHANGE_TIMEOUT = 120.0
CHANGE_POLL_INTERVAL = 2.0
SESSION_NAME = "certpilot"
CREDENTIAL_ERRORS = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "ExpiredToken",
        "InvalidAccessKeyId",
    }
)


@dataclass(frozen=True)
class AwsCredentials:
    """A static key, or None for the ambient chain; `sources` say which Secrets it came from."""

    access_key_id: str | None
    secret_access_key: str | None = field(repr=False)
    sources: list[SecretKeySelector]


async def credentials_of(config: ACMEIssuerDNS01ProviderRoute53, request: Dns01Request) -> AwsCredentials:
    secret_ref = config.secret_access_key_secret_ref
    if config.access_key_id and config.access_key_id_secret_ref:
        raise InvalidProviderConfig("route53: set accessKeyID or accessKeyIDSecretRef, not both")
    if config.auth is not None:
        raise InvalidProviderConfig(
            "route53: auth.kubernetes (a ServiceAccount token for AssumeRoleWithWebIdentity) is not "
            "supported by certpilot yet: use a static key or ambient credentials"
        )
    key_id = config.access_key_id
    sources: list[SecretKeySelector] = []
    if config.access_key_id_secret_ref is not None:
        key_id = await secret_text(request, config.access_key_id_secret_ref, "route53.accessKeyIDSecretRef")
        sources.append(config.access_key_id_secret_ref)
    if key_id and secret_ref is not None:
        secret = await secret_text(request, secret_ref, "route53.secretAccessKeySecretRef")
        return AwsCredentials(key_id, secret, [*sources, secret_ref])
    if key_id or secret_ref is not None:
        raise InvalidProviderConfig(
            "route53: a static key needs both accessKeyID (or accessKeyIDSecretRef) "
            "and secretAccessKeySecretRef"
        )
    if not request.allow_ambient_credentials:
        raise InvalidProviderConfig(
            "route53: set accessKeyID (or accessKeyIDSecretRef) and secretAccessKeySecretRef: this issuer "
            "may not use ambient AWS credentials"
        )
    return AwsCredentials(None, None, [])


class Route53Client:
    """The boto3 calls the provider makes, each run in a worker thread."""

    def __init__(self, client: Any, credentials: AwsCredentials) -> None:
        self.client = client
        self.credentials = credentials

    async def call(self, operation: str, **params: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        method = getattr(self.client, operation)
        try:
            return await asyncio.to_thread(method, **params)
        except ClientError as err:
            raise self.client_error(operation, err) from None
        except NoCredentialsError:
            raise ProviderCredentialsRejected(
                "route53: no AWS credentials found in the ambient chain (environment, shared config, "
                "instance role)"
            ) from None
        except BotoCoreError as err:
            raise ProviderApiError(f"route53 {operation} failed: {err}") from None

    def client_error(self, operation: str, err: Any) -> Exception:
        error = err.response.get("Error", {})
        code = error.get("Code", "")
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        message = f"{code or 'HTTP ' + str(status)}: {error.get('Message', '')}".rstrip(": ")
        if code in CREDENTIAL_ERRORS or status in (401, 403):
            sources = self.credentials.sources
            where = describe_sources(sources) if sources else "the ambient chain"
            return ProviderCredentialsRejected(
                f"route53 {operation}: AWS refused the credentials from {where} ({message})"
            )
        return ProviderApiError(f"route53 {operation} failed ({message})")


async def route53_client(config: ACMEIssuerDNS01ProviderRoute53, request: Dns01Request) -> Route53Client:
    try:
        import boto3
    except ImportError:
        raise sdk_missing("route53", "boto3") from None
    credentials = await credentials_of(config, request)
    region = config.region or DEFAULT_REGION
    session_args: dict[str, Any] = {"region_name": region}
    if credentials.access_key_id:
        session_args |= {
            "aws_access_key_id": credentials.access_key_id,
            "aws_secret_access_key": credentials.secret_access_key,
        }
    session = boto3.session.Session(**session_args)
    if config.role:
        sts = Route53Client(session.client("sts"), credentials)
        assumed = (await sts.call("assume_role", RoleArn=config.role, RoleSessionName=SESSION_NAME))[
            "Credentials"
        ]
        session = boto3.session.Session(
            region_name=region,
            aws_access_key_id=assumed["AccessKeyId"],
            aws_secret_access_key=assumed["SecretAccessKey"],
            aws_session_token=assumed["SessionToken"],
        )
    return Route53Client(session.client("route53"), credentials)


def txt_value(value: str) -> str:
    """A TXT record value as Route53 writes it: one quoted character-string."""
    return f'"{value}"'


async def hosted_zone_id(client: Route53Client, request: Dns01Request) -> str:
    """The public hosted zone whose name is the closest parent of the record's name."""
    candidates = parent_names(request.fqdn)
    if request.zone:
        candidates.insert(0, request.zone.rstrip(".").lower())
    for name in dict.fromkeys(candidates):
        answer = await client.call("list_hosted_zones_by_name", DNSName=name)
        for zone in answer.get("HostedZones", []):
            public = not zone.get("Config", {}).get("PrivateZone", False)
            if zone["Name"].rstrip(".").lower() == name and public:
                return str(zone["Id"]).removeprefix("/hostedzone/")
    raise ZoneNotFound(f"route53: no public hosted zone holds {request.fqdn}")


async def current_values(client: Route53Client, zone_id: str, fqdn: str) -> list[str]:
    """The values of the TXT record set at `fqdn` now (quoted, as Route53 holds them)."""
    answer = await client.call(
        "list_resource_record_sets",
        HostedZoneId=zone_id,
        StartRecordName=fqdn,
        StartRecordType="TXT",
        MaxItems="1",
    )
    for record_set in answer.get("ResourceRecordSets", []):
        if record_set["Name"].lower() == fqdn.lower() and record_set["Type"] == "TXT":
            return [r["Value"] for r in record_set.get("ResourceRecords", [])]
    return []


async def change(client: Route53Client, zone_id: str, action: str, fqdn: str, values: list[str]) -> None:
    """Apply one change to the TXT set at `fqdn` and wait until Route53 reports it INSYNC."""
    record_set = {
        "Name": fqdn,
        "Type": "TXT",
        "TTL": TXT_TTL,
        "ResourceRecords": [{"Value": v} for v in values],
    }
    answer = await client.call(
        "change_resource_record_sets",
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": action, "ResourceRecordSet": record_set}]},
    )
    info = answer["ChangeInfo"]
    deadline = time.monotonic() + CHANGE_TIMEOUT
    while info["Status"] != "INSYNC":
        if time.monotonic() > deadline:
            raise ProviderApiError(
                f"route53 change {info['Id']} for {fqdn} is not INSYNC after {CHANGE_TIMEOUT}s"
            )
        await asyncio.sleep(CHANGE_POLL_INTERVAL)
        info = (await client.call("get_change", Id=info["Id"]))["ChangeInfo"]


class Route53Provider:
    async def present(self, request: Dns01Request) -> None:
        client, zone_id = await self._target(request)
        values = await current_values(client, zone_id, request.fqdn)
        if txt_value(request.value) not in values:
            await change(client, zone_id, "UPSERT", request.fqdn, [*values, txt_value(request.value)])

    async def cleanup(self, request: Dns01Request) -> None:
        client, zone_id = await self._target(request)
        values = await current_values(client, zone_id, request.fqdn)
        if txt_value(request.value) not in values:
            return
        others = [v for v in values if v != txt_value(request.value)]
        if others:
            await change(client, zone_id, "UPSERT", request.fqdn, others)
        else:
            await change(client, zone_id, "DELETE", request.fqdn, values)

    async def _target(self, request: Dns01Request) -> tuple[Route53Client, str]:
        config = request.config
        if not isinstance(config, ACMEIssuerDNS01ProviderRoute53):
            raise InvalidProviderConfig("the route53 provider was handed a non-route53 configuration")
        client = await route53_client(config, request)
        if config.hosted_zone_id:
            return client, config.hosted_zone_id.removeprefix("/hostedzone/")
        return client, await hosted_zone_id(client, request)
