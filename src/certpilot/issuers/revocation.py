"""Revoking an issued certificate with the CA that issued it: an ACME CA (revokeCert, signed with
the issuer's account key, or with the certificate's own key) or Vault (`<mount>/revoke` by serial).
Other issuer types keep no revocation list certpilot could write to, and say so."""

from __future__ import annotations

import asyncio

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from josepy.jwk import JWK, JWKEC, JWKRSA

from certpilot.acme.client import AcmeClient
from certpilot.acme.client_errors import AcmeError
from certpilot.acme.http_timeout import DEFAULT_ACME_HTTP_TIMEOUT_SECONDS
from certpilot.issuers.acme_account import acme_config_of, client_for, tls_verify_setting
from certpilot.issuers.base import IssuerContext, IssuerNotReady, Permanent
from certpilot.issuers.revocation_request import Revocation, RevocationFailed
from certpilot.pki.keys import PrivateKey


def issuer_type_of(issuer: object) -> str:
    spec = getattr(issuer, "spec", None)
    for name in ("acme", "vault", "ca", "self_signed", "venafi"):
        if getattr(spec, name, None) is not None:
            return name
    return "external"


def jwk_of(key: PrivateKey) -> JWK:
    if isinstance(key, rsa.RSAPrivateKey):
        return JWKRSA(key=key)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return JWKEC(key=key)
    raise RevocationFailed(
        "the certificate's key is not RSA or ECDSA and cannot sign an ACME request: revoke with the "
        "account key instead (leave out --use-certificate-key)"
    )


async def revoke_with_acme(
    ctx: IssuerContext, revocation: Revocation, http_timeout: int = DEFAULT_ACME_HTTP_TIMEOUT_SECONDS
) -> None:
    if revocation.certificate_key is None:
        client = await client_for(ctx.builtin_issuer(), ctx.resource_namespace, ctx.store, http_timeout)
    else:
        config = acme_config_of(ctx.builtin_issuer())
        key = jwk_of(revocation.certificate_key)
        client = AcmeClient(config.server, key, verify=tls_verify_setting(config), timeout=http_timeout)
    signed_by_account = revocation.certificate_key is None
    await asyncio.to_thread(
        client.revoke, revocation.certificate_pem, int(revocation.reason), signed_by_account=signed_by_account
    )


async def revoke_with_vault(ctx: IssuerContext, revocation: Revocation) -> None:
    # hvac loads only when revoking through Vault.
    from certpilot.issuers.vault import VaultIssuerBackend

    await VaultIssuerBackend().revoke(ctx, revocation.certificate.serial_number)


async def revoke_certificate(
    ctx: IssuerContext, revocation: Revocation, http_timeout: int = DEFAULT_ACME_HTTP_TIMEOUT_SECONDS
) -> None:
    """Revoke through the issuer; RevocationFailed says why not."""
    issuer_type = issuer_type_of(ctx.issuer)
    if revocation.certificate_key is not None and issuer_type != "acme":
        raise RevocationFailed("--use-certificate-key applies to ACME issuers only")
    try:
        if issuer_type == "acme":
            await revoke_with_acme(ctx, revocation, http_timeout)
        elif issuer_type == "vault":
            await revoke_with_vault(ctx, revocation)
        else:
            raise RevocationFailed(
                f"issuer {ctx.issuer.name!r} is a {issuer_type} issuer: certpilot revokes only through "
                "ACME and Vault issuers, which keep the revocation list"
            )
    except (AcmeError, IssuerNotReady, Permanent) as e:
        raise RevocationFailed(
            f"the issuer {ctx.issuer.name!r} did not revoke serial {revocation.serial_hex}: {e}"
        ) from None
