"""The Vault issuer: sends the request's CSR to a Vault (or OpenBao) PKI mount.

`spec.vault.path` is `<mount>/sign/<role>` or `<mount>/sign-verbatim[/<role>]`; a request for a
CA certificate goes to `<mount>/root/sign-intermediate`. hvac is blocking, so every Vault call runs
in a thread. Tokens, secret IDs and keys are scrubbed from every message this module produces.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, TypeVar

import hvac
import hvac.exceptions
import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.vault_issuer import VaultIssuer
from certpilot.issuers.base import IssuerContext, IssuerNotReady, IssuerReady, Permanent, SignedCertificate
from certpilot.issuers.ca import chain_and_ca
from certpilot.issuers.request import requested_csr, requested_duration
from certpilot.issuers.secrets import SecretProblem
from certpilot.issuers.vault_auth import (
    CertificateAuth,
    VaultAuthConfigError,
    VaultCredentials,
    credentials_for,
    login,
    secret_values,
)
from certpilot.issuers.vault_connection import VaultConfigError, VaultConnection, connection_for, new_client
from certpilot.pki.sans import sans_in

REASON_VERIFIED = "VaultVerified"
REASON_ERROR = "VaultError"
MESSAGE_VERIFIED = "Vault verified"
REDACTED = "<redacted>"

T = TypeVar("T")


class VaultResponseError(ValueError):
    """Vault answered a signing call with something that is not a PEM certificate and chain."""


@dataclass(frozen=True)
class VaultSession:
    """Everything needed to talk to Vault for one issuer, read before any network call."""

    connection: VaultConnection
    credentials: VaultCredentials

    def secrets(self) -> list[str]:
        return secret_values(self.credentials)


def scrubbed(message: str, secrets: Iterable[str]) -> str:
    """The message with every secret value replaced, so it can go to a condition or event."""
    for secret in secrets:
        if secret:
            message = message.replace(secret, REDACTED)
    return message


def mount_of(path: str) -> str:
    """The PKI mount of a signing path: `pki_int` of `pki_int/sign/web`."""
    parts = path.strip("/").split("/")
    for index, part in enumerate(parts):
        if part in ("sign", "sign-verbatim", "issue") and index > 0:
            return "/".join(parts[:index])
    raise Permanent(
        f"spec.vault.path {path!r} is not a signing path: use <mount>/sign/<role> or <mount>/sign-verbatim"
    )


def signing_path(path: str, is_ca: bool) -> str:
    """The Vault API path the CSR is posted to."""
    if is_ca:
        return f"/v1/{mount_of(path)}/root/sign-intermediate"
    return f"/v1/{path.strip('/')}"


def ttl_of(duration: timedelta) -> str:
    return f"{int(duration.total_seconds())}s"


def sign_parameters(csr: x509.CertificateSigningRequest, csr_pem: str, duration: timedelta) -> dict[str, Any]:
    """What cert-manager sends: the CSR, its names (for roles that do not copy them), the TTL."""
    sans = sans_in(csr.extensions)
    common_names = csr.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return {
        "csr": csr_pem,
        "common_name": str(common_names[0].value) if common_names else "",
        "alt_names": ",".join([*sans.dns_names, *sans.email_addresses]),
        "ip_sans": ",".join(sans.ip_addresses),
        "uri_sans": ",".join(sans.uris),
        "ttl": ttl_of(duration),
        "exclude_cn_from_sans": True,
        "format": "pem",
    }


def signed_from_response(data: dict[str, Any]) -> SignedCertificate:
    """tls.crt = the certificate and Vault's chain without the root; ca.crt = the root (the last of
    ca_chain, or issuing_ca)."""
    try:
        leaf = x509.load_pem_x509_certificate(str(data["certificate"]).encode())
        chain_pems: list[str] = list(data.get("ca_chain") or []) or [str(data["issuing_ca"])]
        # sign-intermediate answers with the new CA itself at the head of ca_chain.
        issuers = [
            cert
            for pem in chain_pems
            for cert in x509.load_pem_x509_certificates(pem.encode())
            if cert != leaf
        ]
    except (KeyError, ValueError, TypeError) as e:
        raise VaultResponseError(f"Vault returned no usable certificate chain ({type(e).__name__})") from None
    if not issuers:
        raise VaultResponseError("Vault returned a certificate without its CA (no ca_chain nor issuing_ca)")
    chain, ca = chain_and_ca(leaf, issuers)
    return SignedCertificate(certificate=chain, ca=ca)


def not_ready(message: str, session: VaultSession | None = None) -> IssuerNotReady:
    return IssuerNotReady(scrubbed(message, session.secrets() if session else ()), REASON_ERROR)


def translated_error(error: Exception, session: VaultSession, action: str) -> Exception:
    """Vault's refusal of the request is permanent; everything else is the issuer not ready."""
    message = scrubbed(str(error), session.secrets())
    if isinstance(error, hvac.exceptions.InvalidRequest):
        return Permanent(f"Vault refused to {action}: {message}")
    if isinstance(error, hvac.exceptions.Forbidden | hvac.exceptions.Unauthorized):
        return not_ready(
            f"Vault denied access while trying to {action} (token revoked or expired?): {message}"
        )
    if isinstance(error, requests.exceptions.RequestException):
        return not_ready(
            f"Vault at {session.connection.url} is unreachable: {type(error).__name__}: {message}"
        )
    return not_ready(f"Vault failed to {action}: {type(error).__name__}: {message}")


def health_problem(health: Any) -> str | None:
    """Why a sys/health answer means Vault cannot sign, or None."""
    if not isinstance(health, dict):
        code = getattr(health, "status_code", "?")
        return f"Vault health check answered HTTP {code}"
    if not health.get("initialized", False):
        return "Vault is not initialized"
    if health.get("sealed", True):
        return "Vault is sealed"
    return None


class VaultIssuerBackend:
    async def _session(self, ctx: IssuerContext) -> VaultSession:
        config = _vault_config(ctx)
        try:
            connection = await connection_for(config, ctx.store, ctx.resource_namespace)
            credentials = await credentials_for(config, ctx.store, ctx.resource_namespace, ctx.issuer)
        except (SecretProblem, VaultConfigError, VaultAuthConfigError) as e:
            raise not_ready(f"Vault issuer configuration: {e}") from None
        if isinstance(credentials, CertificateAuth) and credentials.certificate is not None:
            connection = replace(connection, client_certificate=credentials.certificate)
        return VaultSession(connection, credentials)

    async def _call(self, session: VaultSession, action: str, work: Callable[[hvac.Client], T]) -> T:
        """Log in and run `work` with the authenticated client, in a thread."""

        def run() -> T:
            # sys/health only answers outside namespaces.
            root = new_client(replace(session.connection, namespace=None))
            problem = health_problem(root.sys.read_health_status(method="GET"))
            if problem is not None:
                raise not_ready(problem)
            client = new_client(session.connection)
            login(client, session.credentials)
            return work(client)

        try:
            return await asyncio.to_thread(run)
        except (IssuerNotReady, Permanent):
            raise
        except VaultConfigError as e:
            raise not_ready(f"Vault issuer configuration: {e}") from None
        except (hvac.exceptions.VaultError, requests.exceptions.RequestException) as e:
            raise translated_error(e, session, action) from None

    async def check(self, ctx: IssuerContext) -> IssuerReady:
        session = await self._session(ctx)
        await self._call(session, "log in", lambda client: None)
        return IssuerReady(REASON_VERIFIED, MESSAGE_VERIFIED)

    async def sign(self, ctx: IssuerContext, request: CertificateRequest) -> SignedCertificate:
        csr = requested_csr(request)
        path = signing_path(_vault_config(ctx).path, bool(request.spec.is_ca))
        parameters = sign_parameters(
            csr, csr.public_bytes(Encoding.PEM).decode(), requested_duration(request)
        )
        session = await self._session(ctx)

        def post(client: hvac.Client) -> dict[str, Any]:
            response = client.adapter.post(path, json=parameters)
            if not isinstance(response, dict) or "data" not in response:
                raise VaultResponseError(f"Vault answered {path} without data")
            data: dict[str, Any] = response["data"]
            return data

        try:
            data = await self._call(session, "sign the certificate", post)
            return signed_from_response(data)
        except VaultResponseError as e:
            raise not_ready(str(e), session) from None

    async def revoke(self, ctx: IssuerContext, serial_number: int) -> None:
        """Revoke by serial number through the signing path's mount (`<mount>/revoke`); Vault
        records no reason code."""
        mount = mount_of(_vault_config(ctx).path)
        session = await self._session(ctx)
        serial = vault_serial(serial_number)
        await self._call(
            session,
            f"revoke certificate {serial}",
            lambda client: client.secrets.pki.revoke_certificate(serial, mount_point=mount),
        )


def vault_serial(serial_number: int) -> str:
    """Vault's spelling of a serial number: colon-separated lowercase hex byte pairs."""
    digits = f"{serial_number:x}"
    digits = "0" * (len(digits) % 2) + digits
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def _vault_config(ctx: IssuerContext) -> VaultIssuer:
    issuer = ctx.builtin_issuer()
    config: VaultIssuer | None = issuer.spec.vault
    if config is None:
        raise Permanent(f"issuer {issuer.name!r} has no spec.vault")
    return config
