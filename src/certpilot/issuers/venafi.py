"""The Venafi issuer: submits the request's CSR to a Venafi TPP policy folder, a Venafi Cloud zone
or an NGTS issuing template through vcert, and picks the certificate up when it is issued.

As cert-manager does, the pickup id Venafi returns is stored on the CertificateRequest
(`venafi.cert-manager.io/pickup-id`) before anything else, so a request still being issued resumes
from it instead of being submitted again. vcert is blocking: every call runs in a thread.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import math
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

import requests
import vcert
import vcert.errors
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.venafi_issuer import VenafiIssuer
from certpilot.issuers.base import (
    IssuerContext,
    IssuerNotReady,
    IssuerReady,
    Pending,
    Permanent,
    SignedCertificate,
)
from certpilot.issuers.request import requested_csr, requested_duration
from certpilot.issuers.secrets import SecretProblem, get_secret, secret_value
from certpilot.issuers.vault import scrubbed
from certpilot.pki.sans import sans_in
from certpilot.store.errors import NotFound
from certpilot.store.protocol import Store

ANNOTATION_PICKUP_ID = "venafi.cert-manager.io/pickup-id"
ANNOTATION_CUSTOM_FIELDS = "venafi.cert-manager.io/custom-fields"
REASON_VERIFIED = "Verified"
REASON_ERROR = "ErrorConfig"
MESSAGE_VERIFIED = "Venafi issuer started"
DEFAULT_CLOUD_URL = "https://api.venafi.cloud/"
# cert-manager's defaults for spec.venafi.ngts.url and tokenEndpoint.
DEFAULT_NGTS_URL = "https://api.strata.paloaltonetworks.com/ngts"
DEFAULT_NGTS_TOKEN_ENDPOINT = "https://auth.apps.paloaltonetworks.com/oauth2/access_token"  # noqa: S105 - a URL
NGTS_CLIENT_ID_KEY = "client-id"
NGTS_CLIENT_SECRET_KEY = "client-secret"  # noqa: S105 - a Secret data key name
DEFAULT_API_KEY_KEY = "api-key"
TPP_USERNAME_KEY = "username"
TPP_PASSWORD_KEY = "password"  # noqa: S105 - a Secret data key name
TPP_ACCESS_TOKEN_KEY = "access-token"  # noqa: S105 - a Secret data key name
# How soon a request Venafi is still issuing is looked at again.
PICKUP_POLL_SECONDS = 30.0
HTTP_TIMEOUT_SECONDS = 30
SUPPORTED_CUSTOM_FIELD_TYPES = ("", "Plain")

T = TypeVar("T")


@dataclass(frozen=True)
class VenafiSettings:
    """Where and how to reach Venafi, with the credentials read from Secrets (hidden from reprs)."""

    platform: Literal["tpp", "cloud", "ngts"]
    url: str
    zone: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    access_token: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    ca_pem: bytes | None = None
    # NGTS: OAuth 2.0 client credentials, exchanged at token_url for a token scoped to tsg_id.
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    token_url: str | None = None
    tsg_id: str | None = None

    def secrets(self) -> list[str]:
        return [s for s in (self.password, self.access_token, self.api_key, self.client_secret) if s]


@dataclass(frozen=True)
class Issued:
    certificate: str
    chain: list[str]


Connector = Callable[[VenafiSettings], Any]


def custom_fields_from(annotation: str | None) -> list[tuple[str, str]]:
    """(name, value) pairs of the custom-fields annotation: a JSON list of {name, value, type}."""
    if not annotation:
        return []
    try:
        fields = json.loads(annotation)
    except json.JSONDecodeError as e:
        raise Permanent(f"annotation {ANNOTATION_CUSTOM_FIELDS} is not valid JSON: {e.msg}") from None
    if not isinstance(fields, list):
        raise Permanent(f"annotation {ANNOTATION_CUSTOM_FIELDS} must be a JSON list of {{name, value, type}}")
    pairs = []
    for entry in fields:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise Permanent(f"annotation {ANNOTATION_CUSTOM_FIELDS}: every entry needs a string name")
        kind = entry.get("type", "")
        if kind not in SUPPORTED_CUSTOM_FIELD_TYPES:
            raise Permanent(
                f"annotation {ANNOTATION_CUSTOM_FIELDS}: custom field type {kind!r} is not supported"
            )
        pairs.append((entry["name"], str(entry.get("value", ""))))
    return pairs


def zone_policy_problem(policy: Any, common_name: str, dns_names: list[str]) -> str | None:
    """Why the zone's policy refuses these names, or None (policies without regexes allow all)."""
    cn_patterns: list[str] = list(getattr(policy, "SubjectCNRegexes", None) or [])
    if common_name and cn_patterns and not any(re.fullmatch(p, common_name) for p in cn_patterns):
        allowed = ", ".join(cn_patterns)
        return f"common name {common_name!r} is not allowed by the zone policy (allowed: {allowed})"
    san_patterns: list[str] = list(getattr(policy, "SANRegexes", None) or [])
    for name in dns_names if san_patterns else []:
        if not any(re.fullmatch(p, name) for p in san_patterns):
            return f"DNS name {name!r} is not allowed by the zone policy (allowed: {', '.join(san_patterns)})"
    return None


def http_status_of(error: vcert.errors.VenafiError) -> int | None:
    """The HTTP status vcert puts in a VenafiConnectionError message ("Server status: 400")."""
    found = re.search(r"Server status: (\d+)", str(error))
    return int(found.group(1)) if found else None


def server_message_of(error: vcert.errors.VenafiError) -> str:
    """Venafi's own error text from a VenafiConnectionError, else the error's message."""
    found = re.search(r'"(?:Error|message)"\s*:\s*"([^"]*)"', str(error))
    return found.group(1) if found else str(error).strip()


def validity_hours(duration: timedelta) -> int:
    return max(1, math.ceil(duration.total_seconds() / 3600))


def common_name_of(csr: x509.CertificateSigningRequest) -> str:
    names = csr.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def signed_from(issued: Issued) -> SignedCertificate:
    """tls.crt = the certificate and its chain without the root; ca.crt = the root (chain is root-last)."""
    chain = [c for pem in issued.chain for c in x509.load_pem_x509_certificates(pem.encode())]
    leaf_pem = issued.certificate.strip().encode() + b"\n"
    if not chain:
        return SignedCertificate(certificate=leaf_pem)
    root = chain[-1] if chain[-1].issuer == chain[-1].subject else None
    intermediates = chain[:-1] if root is not None else chain
    body = leaf_pem + b"".join(c.public_bytes(Encoding.PEM) for c in intermediates)
    return SignedCertificate(certificate=body, ca=(root or chain[-1]).public_bytes(Encoding.PEM))


def ca_bundle_file(ca_pem: bytes) -> str:
    """requests wants a CA bundle as a file: one per bundle content (CA certificates are public)."""
    path = Path(tempfile.gettempdir(), f"certpilot-venafi-ca-{hashlib.sha256(ca_pem).hexdigest()[:16]}.pem")
    if not path.exists():
        path.write_bytes(ca_pem)
    return str(path)


def tpp_base_url(url: str) -> str:
    """cert-manager's TPP url ends in /vedsdk; vcert wants the server root and adds the paths."""
    base = url.rstrip("/")
    return base.removesuffix("/vedsdk") + "/"


def vcert_connection(settings: VenafiSettings) -> Any:
    kwargs: dict[str, Any] = {"timeout": HTTP_TIMEOUT_SECONDS}
    if settings.ca_pem:
        kwargs["verify"] = ca_bundle_file(settings.ca_pem)
    if settings.platform == "tpp":
        return vcert.venafi_connection(
            url=tpp_base_url(settings.url),
            user=settings.username,
            password=settings.password,
            access_token=settings.access_token,
            platform=vcert.VenafiPlatform.TPP,
            http_request_kwargs=kwargs,
        )
    if settings.platform == "ngts":
        return vcert.venafi_connection(
            url=settings.url,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            token_url=settings.token_url,
            tsg_id=settings.tsg_id,
            platform=vcert.VenafiPlatform.NGTS,
            http_request_kwargs=kwargs,
        )
    return vcert.venafi_connection(
        url=settings.url,
        api_key=settings.api_key,
        platform=vcert.VenafiPlatform.VAAS,
        http_request_kwargs=kwargs,
    )


def decode_ca_bundle(ca_bundle: str) -> bytes:
    """spec.venafi.tpp.caBundle is base64 PEM, as in Kubernetes."""
    try:
        return base64.b64decode(ca_bundle, validate=True)
    except (binascii.Error, ValueError):
        raise IssuerNotReady(
            "spec.venafi.tpp.caBundle is not base64 of PEM CA certificates", REASON_ERROR
        ) from None


async def _read(store: Store, namespace: str, name: str, key: str) -> str:
    return secret_value(await get_secret(store, namespace, name), key).decode().strip()


async def settings_for(config: VenafiIssuer, store: Store, namespace: str) -> VenafiSettings:
    """Raises SecretProblem or IssuerNotReady (none of tpp, cloud and ngts)."""
    if config.tpp is not None:
        tpp = config.tpp
        secret = await get_secret(store, namespace, tpp.credentials_ref.name)
        token = secret.get_data(TPP_ACCESS_TOKEN_KEY)
        ca_pem = None
        if tpp.ca_bundle:
            ca_pem = decode_ca_bundle(tpp.ca_bundle)
        elif tpp.ca_bundle_secret_ref is not None:
            ref = tpp.ca_bundle_secret_ref
            ca_pem = (await _read(store, namespace, ref.name, ref.key or "ca.crt")).encode()
        return VenafiSettings(
            platform="tpp",
            url=tpp.url,
            zone=config.zone,
            username=None if token else secret_value(secret, TPP_USERNAME_KEY).decode().strip(),
            password=None if token else secret_value(secret, TPP_PASSWORD_KEY).decode().strip(),
            access_token=token.decode().strip() if token else None,
            ca_pem=ca_pem,
        )
    if config.cloud is not None:
        ref = config.cloud.api_token_secret_ref
        return VenafiSettings(
            platform="cloud",
            url=config.cloud.url or DEFAULT_CLOUD_URL,
            zone=config.zone,
            api_key=await _read(store, namespace, ref.name, ref.key or DEFAULT_API_KEY_KEY),
        )
    if config.ngts is not None:
        ngts = config.ngts
        secret = await get_secret(store, namespace, ngts.credentials_ref.name)
        return VenafiSettings(
            platform="ngts",
            url=ngts.url or DEFAULT_NGTS_URL,
            zone=config.zone,
            client_id=secret_value(secret, NGTS_CLIENT_ID_KEY).decode().strip(),
            client_secret=secret_value(secret, NGTS_CLIENT_SECRET_KEY).decode().strip(),
            token_url=ngts.token_endpoint or DEFAULT_NGTS_TOKEN_ENDPOINT,
            tsg_id=ngts.tsg_id,
        )
    raise IssuerNotReady("spec.venafi sets none of tpp, cloud and ngts", REASON_ERROR)


def submit(
    connection: Any,
    settings: VenafiSettings,
    csr: x509.CertificateSigningRequest,
    hours: int,
    fields: list[tuple[str, str]],
) -> str:
    """Send the CSR to the zone (blocking) and return Venafi's pickup id."""
    common_name = common_name_of(csr)
    if not common_name:
        raise Permanent("Venafi needs a common name in the CSR: set spec.commonName on the Certificate")
    problem = zone_policy_problem(
        connection.read_zone_conf(settings.zone).policy, common_name, list(sans_in(csr.extensions).dns_names)
    )
    if problem is not None:
        raise Permanent(f"Venafi zone {settings.zone!r}: {problem}")
    request = vcert.CertificateRequest(
        csr=csr.public_bytes(Encoding.PEM).decode(),
        friendly_name=common_name,
        custom_fields=[vcert.CustomField(name, value) for name, value in fields] or None,
        validity_hours=hours,
    )
    connection.request_cert(request, settings.zone)
    return str(request.id)


def pick_up(connection: Any, pickup_id: str, csr_pem: str) -> Issued | None:
    """The certificate if Venafi has issued it, else None (blocking; never waits)."""
    request = vcert.CertificateRequest(cert_id=pickup_id, csr=csr_pem)
    request.timeout = 0
    try:
        issued = connection.retrieve_cert(request)
    except vcert.errors.RetrieveCertificateTimeoutError:
        return None
    if not hasattr(issued, "cert"):
        raise Permanent(f"Venafi reports the certificate request {pickup_id!r} failed")
    return Issued(certificate=str(issued.cert), chain=[str(c) for c in issued.chain or []])


def translated_error(error: Exception, settings: VenafiSettings, action: str) -> Exception:
    if isinstance(error, vcert.errors.VenafiError) and http_status_of(error) == 400:
        return Permanent(
            scrubbed(f"Venafi refused to {action}: {server_message_of(error)}", settings.secrets())
        )
    if isinstance(error, requests.exceptions.RequestException):
        message = f"Venafi at {settings.url} is unreachable: {type(error).__name__}: {error}"
    else:
        detail = server_message_of(error) if isinstance(error, vcert.errors.VenafiError) else str(error)
        message = f"Venafi failed to {action}: {type(error).__name__}: {detail}"
    return IssuerNotReady(scrubbed(message, settings.secrets()), REASON_ERROR)


async def record_pickup_id(store: Store, request: CertificateRequest, pickup_id: str) -> None:
    annotated = request.model_copy(deep=True)
    annotated.metadata.annotations = {
        **(annotated.metadata.annotations or {}),
        ANNOTATION_PICKUP_ID: pickup_id,
    }
    await store.update(annotated)


class VenafiIssuerBackend:
    def __init__(
        self, connect: Connector = vcert_connection, pickup_poll_seconds: float = PICKUP_POLL_SECONDS
    ) -> None:
        self._connect = connect
        self._poll = pickup_poll_seconds

    async def _settings(self, ctx: IssuerContext) -> VenafiSettings:
        issuer = ctx.builtin_issuer()
        config: VenafiIssuer | None = issuer.spec.venafi
        if config is None:
            raise Permanent(f"issuer {issuer.name!r} has no spec.venafi")
        try:
            return await settings_for(config, ctx.store, ctx.resource_namespace)
        except SecretProblem as e:
            raise IssuerNotReady(f"Venafi issuer configuration: {e}", REASON_ERROR) from None

    async def _call(self, settings: VenafiSettings, action: str, work: Callable[[Any], T]) -> T:
        def run() -> T:
            return work(self._connect(settings))

        try:
            return await asyncio.to_thread(run)
        except (Permanent, Pending, IssuerNotReady):
            raise
        except (vcert.errors.VenafiError, requests.exceptions.RequestException) as e:
            raise translated_error(e, settings, action) from None

    async def check(self, ctx: IssuerContext) -> IssuerReady:
        settings = await self._settings(ctx)
        await self._call(
            settings, "read the zone", lambda connection: connection.read_zone_conf(settings.zone)
        )
        return IssuerReady(REASON_VERIFIED, MESSAGE_VERIFIED)

    async def sign(self, ctx: IssuerContext, request: CertificateRequest) -> SignedCertificate:
        csr = requested_csr(request)
        csr_pem = csr.public_bytes(Encoding.PEM).decode()
        try:
            # The stored request, not a cached copy: its pickup id must never be missed.
            current = await ctx.store.get(CertificateRequest, request.name, request.namespace)
        except NotFound:
            raise Permanent(f"CertificateRequest {request.key} no longer exists") from None
        annotations = current.metadata.annotations or {}
        settings = await self._settings(ctx)
        pickup_id = annotations.get(ANNOTATION_PICKUP_ID, "")
        if not pickup_id:
            fields = custom_fields_from(annotations.get(ANNOTATION_CUSTOM_FIELDS))
            hours = validity_hours(requested_duration(request))
            pickup_id = await self._call(
                settings,
                "request the certificate",
                lambda connection: submit(connection, settings, csr, hours, fields),
            )
            await record_pickup_id(ctx.store, current, pickup_id)
        issued = await self._call(
            settings, "retrieve the certificate", lambda connection: pick_up(connection, pickup_id, csr_pem)
        )
        if issued is None:
            raise Pending(f"Venafi is issuing the certificate (pickup id {pickup_id})", self._poll)
        return signed_from(issued)
