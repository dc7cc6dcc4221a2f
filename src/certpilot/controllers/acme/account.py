"""The ACME issuer an Order or Challenge belongs to, and its registered account's client."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from certpilot.acme.client_errors import AcmeError
from certpilot.api.acme_issuer import ACMEIssuer
from certpilot.api.common import IssuerReference
from certpilot.api.conditions import set_condition
from certpilot.api.issuer import AnyIssuer
from certpilot.controllers.issuers.resolve import issuer_kind_of, lookup_issuer, resource_namespace
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.errors import PendingError
from certpilot.store.errors import Conflict, NotFound

if TYPE_CHECKING:
    from certpilot.acme.client import AcmeClient

ISSUER_RECHECK_SECONDS = 10.0
# What an ACME server answers a request signed for an account it does not know (any more).
ACCOUNT_LOST = "accountDoesNotExist"


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


async def register_again_if_account_lost(ctx: ControllerContext, account: Account, error: AcmeError) -> None:
    """When the ACME server no longer knows the issuer's account (its state was reset, or the
    account was deleted there), nothing signed with it can succeed: drop the shared client and
    the account URL the issuer's status records, so its readiness check registers the account
    again, and raise PendingError so the Order or Challenge waits for that instead of failing.
    cert-manager keeps using the lost account until the Issuer is edited; this recovers alone."""
    if error.code != ACCOUNT_LOST:
        return
    from certpilot.issuers.acme_account import ACCOUNT_CLIENTS, REASON_NOT_REGISTERED

    issuer = account.issuer.model_copy(deep=True)
    ACCOUNT_CLIENTS.forget(issuer.metadata.uid or issuer.key)
    lost = issuer.status.acme.uri if issuer.status and issuer.status.acme else None
    if issuer.status is not None and issuer.status.acme is not None:
        issuer.status.acme.uri = None
        issuer.status.conditions = set_condition(
            issuer.status.conditions,
            "Ready",
            "False",
            REASON_NOT_REGISTERED,
            f"the ACME server no longer knows account {lost}: registering it again",
            ctx.clock.now(),
            issuer.metadata.generation,
        )
        # Conflict or NotFound: the issuer changed or went, and its readiness check runs anyway.
        with contextlib.suppress(Conflict, NotFound):
            await ctx.store.update_status(issuer)
    raise PendingError(
        f"the ACME server no longer knows the account of issuer {issuer.name!r}: waiting for it to be "
        "registered again",
        ISSUER_RECHECK_SECONDS,
    )
