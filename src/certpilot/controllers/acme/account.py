"""The ACME issuer an Order or Challenge belongs to, and its registered account's client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from certpilot.api.acme_issuer import ACMEIssuer
from certpilot.api.common import IssuerReference
from certpilot.api.issuer import AnyIssuer
from certpilot.controllers.issuers.resolve import issuer_kind_of, lookup_issuer, resource_namespace
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.errors import PendingError

if TYPE_CHECKING:
    from certpilot.acme.client import AcmeClient

ISSUER_RECHECK_SECONDS = 10.0


@dataclass(frozen=True)
class Account:
    issuer: AnyIssuer
    config: ACMEIssuer
    resource_namespace: str
    client: AcmeClient


def issuer_or_wait(ctx: ControllerContext, ref: IssuerReference, namespace: str | None) -> AnyIssuer:
    issuer = lookup_issuer(ctx.cache, ref, namespace)
    if issuer is None or issuer.spec.acme is None:
        raise PendingError(
            f'{issuer_kind_of(ref)} "{ref.name}" not found or not an ACME issuer', ISSUER_RECHECK_SECONDS
        )
    return issuer


async def account_of(
    ctx: ControllerContext, options: ControllerOptions, ref: IssuerReference, namespace: str | None
) -> Account:
    """Raises PendingError while the issuer is missing, IssuerNotReady while it has no account.
    The ACME client's stack is imported here, on the first Order or Challenge, not at start."""
    from certpilot.issuers.acme_account import acme_config_of, client_for

    issuer = issuer_or_wait(ctx, ref, namespace)
    where = resource_namespace(issuer, options)
    config = acme_config_of(issuer)
    client = await client_for(issuer, where, ctx.store, options.acme_http_timeout)
    return Account(issuer, config, where, client)
