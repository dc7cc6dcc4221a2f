"""The Order controller: creates the ACME order, one Challenge per pending authorization, then
finalizes with the CSR and stores the certificate chain. The Order spec is never changed."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography import x509

from certpilot.acme.client_errors import AcmeError, problem_message
from certpilot.acme.profiles import offered_profiles, unknown_profile_problem
from certpilot.acme.renewal_info import NoCertificateId, certificate_id
from certpilot.api import annotations as ann
from certpilot.api import annotations as keys
from certpilot.api.acme import ACMEAuthorization, ACMEChallenge, Challenge, Order, OrderStatus
from certpilot.api.certificate import Certificate
from certpilot.api.core import Secret
from certpilot.api.duration import parse_duration
from certpilot.api.enums import ACMEChallengeType, State
from certpilot.controllers.acme.account import Account, account_of, register_again_if_account_lost
from certpilot.controllers.acme.challenge_choice import challenge_for, choose_challenge, chosen_with_overrides
from certpilot.controllers.acme.order_steps import (
    FINAL_CHALLENGE_STATES,
    OrderStep,
    challenge_state,
    failure_reason,
    missing_challenges,
    next_order_step,
)
from certpilot.controllers.certificates.policies.ari_window import stored_renewal_info
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result, Watch
from certpilot.runtime.errors import PendingError, RetryWithBackoff
from certpilot.runtime.owners import owner_keys
from certpilot.store.errors import AlreadyExists, Conflict, NotFound
from certpilot.store.protocol import Store

if TYPE_CHECKING:
    from acme import messages

    from certpilot.acme.client import AcmeClient

# How soon to look again at an order the server is still working on (validating, issuing).
ORDER_POLL_SECONDS = 0.5
# ACME errors worth retrying: everything else the server says about an order is its final word.
TRANSIENT_ERROR_CODES = frozenset({"serverInternal", "badNonce", "rateLimited", "orderNotReady"})
# What a CA answers to a `replaces` it will not take: retried without it.
REPLACES_REFUSALS = frozenset({"alreadyReplaced", "malformed"})
CONFLICT = 409
# 4xx answers that mean "try again", not "no": request timeout, too many requests.
RETRIED_STATUSES = frozenset({408, 429})


def is_refusal(error: AcmeError) -> bool:
    """Whether the server definitively refused (the order is errored) rather than failed for now:
    an RFC 8555 problem that is not transient, or, as cert-manager decides, any other 4xx answer
    (the server no longer knows the order or challenge, e.g. after it lost its state)."""
    if isinstance(error, RetryWithBackoff | PendingError):
        return False
    if error.code is not None:
        return error.code not in TRANSIENT_ERROR_CODES
    return error.status is not None and 400 <= error.status < 500 and error.status not in RETRIED_STATUSES


def authorization_of(resource: messages.AuthorizationResource) -> ACMEAuthorization:
    from acme import challenges as acme_challenges

    from certpilot.acme.dns_persist import DNS_PERSIST_01, is_dns_persist

    body = resource.body
    offered = [
        ACMEChallenge(url=c.uri, token=c.chall.encode("token"), type=c.chall.typ)
        for c in body.challenges
        if isinstance(c.chall, acme_challenges.KeyAuthorizationChallenge)
    ]
    # dns-persist-01 has no token: the record names the account instead.
    offered += [
        ACMEChallenge(url=c.uri, token="", type=DNS_PERSIST_01) for c in body.challenges if is_dns_persist(c)
    ]
    return ACMEAuthorization(
        url=resource.uri,
        identifier=body.identifier.value if body.identifier else None,
        wildcard=bool(body.wildcard),
        initial_state=State(body.status.name) if body.status else State.PENDING,
        challenges=offered,
    )


def answers_dns_persist(account: Account) -> bool:
    """The issuer opted in to dns-persist-01 (certpilot.io/dns-persist-01: "true")."""
    return (account.issuer.metadata.annotations or {}).get(keys.DNS_PERSIST, "").lower() == "true"


def dns_persist_record_value(account: Account, body: messages.ChallengeBody, wildcard: bool) -> str:
    from certpilot.acme.dns_persist import issuer_domain_name, persist_record_value

    account_uri = account.client.account_uri
    if account_uri is None:
        raise RetryWithBackoff("the ACME account URI is not known yet")
    return persist_record_value(issuer_domain_name(body), account_uri, wildcard)


def new_order_replacing(
    client: AcmeClient,
    csr_pem: bytes,
    *,
    profile: str | None,
    not_after: datetime | None,
    replaces: str | None,
) -> messages.OrderResource:
    """Blocking: a new order, marked as the renewal of `replaces` (RFC 9773 5). A CA that already
    has a renewal of that certificate (an earlier order replaced it: 409 alreadyReplaced, which
    reaches us as a bare 409) or
    refuses the mark otherwise gets the order without it: the renewal matters, the mark does not."""
    if replaces is not None:
        try:
            return client.new_order(csr_pem, profile=profile, not_after=not_after, replaces=replaces)
        except AcmeError as error:
            if error.code not in REPLACES_REFUSALS and error.status != CONFLICT:
                raise
    return client.new_order(csr_pem, profile=profile, not_after=not_after)


async def replaced_certificate_id(store: Store, order: Order) -> str | None:
    """The ARI identifier of the certificate this order renews: the one in its Certificate's
    Secret, when the CA gave renewal information for it (so the CA knows ARI). Read from the
    store, not the cache: this controller does not watch Certificates or Secrets."""
    name = (order.metadata.annotations or {}).get(ann.CERTIFICATE_NAME)

    if name is None:
        return None
    try:
        cert = await store.get(Certificate, name, order.namespace)
        secret = await store.get(Secret, cert.spec.secret_name, order.namespace)
    except NotFound:
        return None
    stored = stored_renewal_info(secret.metadata.annotations)
    leaf = secret.get_data("tls.crt")
    if stored is None or leaf is None:
        return None
    try:
        current = certificate_id(x509.load_pem_x509_certificate(leaf))
    except (ValueError, NoCertificateId):
        return None
    return current if current == stored.cert_id else None


def state_of(order: messages.OrderResource) -> State:
    return State(order.body.status.name) if order.body.status else State.PENDING


def problem_of(order: messages.OrderResource) -> str | None:
    return problem_message(order.body.error) if order.body.error is not None else None


class OrderController:
    def __init__(
        self, ctx: ControllerContext, options: ControllerOptions, http01_always_answered: bool = False
    ) -> None:
        """`http01_always_answered`: HTTP-01 is answered without the daemon's listener (solver Pods
        on a cluster), so `http01` solvers take HTTP-01 challenges whatever --http01-listen says."""
        self.ctx = ctx
        self.options = options
        self.http01_answered = http01_always_answered or bool(options.http01_listen)
        self.spec = ControllerSpec(
            name="orders", primary=Order, watches=[Watch(Challenge, owner_keys(Order))]
        )

    async def reconcile(self, key: ObjectKey) -> Result:
        cached = self.ctx.cache.get(Order, key.name, key.namespace)
        if cached is None or cached.metadata.deletion_timestamp is not None:
            return Result()
        order = cached.model_copy(deep=True)
        challenges = self.ctx.cache.owned_by(Challenge, order.metadata.uid or "")
        step = next_order_step(order.status, challenges)
        if step is OrderStep.DONE:
            await self._drop_unstarted_challenges(order, challenges)
            return Result()
        if step is OrderStep.WAIT:
            return Result()
        account = await account_of(self.ctx, self.options, order.spec.issuer_ref, order.namespace)
        fetched: dict[str, messages.AuthorizationResource] = {}
        status = order.status.model_copy(deep=True) if order.status else OrderStatus()
        requeue: float | None = None
        try:
            if step is OrderStep.CREATE:
                status, fetched = await self._create(order, account)
                step = OrderStep.CREATE_CHALLENGES
            if step is OrderStep.SYNC:
                status, requeue = await self._sync(order, status, account, challenges)
        except AcmeError as e:
            status = await self._refused(status, account, e)
        await self._write(order, status)
        if step is OrderStep.CREATE_CHALLENGES and status.state == State.PENDING:
            order.status = status
            try:
                await self._create_challenges(order, status, account, challenges, fetched)
            except AcmeError as e:
                # An authorization the server no longer knows (it lost its state since the order
                # was created): the order can never complete.
                await self._write(order, await self._refused(status.model_copy(deep=True), account, e))
        return Result(requeue_after=requeue)

    async def _refused(self, status: OrderStatus, account: Account, error: AcmeError) -> OrderStatus:
        """The order errored by a refusal; anything else is raised again to be retried."""
        await register_again_if_account_lost(self.ctx, account, error)
        if not is_refusal(error):
            raise error
        return self._failed(status, State.ERRORED, f"ACME server refused: {error}")

    async def _create(
        self, order: Order, account: Account
    ) -> tuple[OrderStatus, dict[str, messages.AuthorizationResource]]:
        csr_pem = base64.b64decode(order.spec.request)
        profiles = await self.ctx.run_blocking(offered_profiles, account.client)
        problem = unknown_profile_problem(order.spec.profile, profiles)
        if problem is not None:
            return self._failed(OrderStatus(), State.ERRORED, problem), {}
        not_after = self._not_after(order, self.ctx.clock.now())
        replaces = await replaced_certificate_id(self.ctx.store, order)
        created = await self.ctx.run_blocking(
            new_order_replacing,
            account.client,
            csr_pem,
            profile=order.spec.profile or None,
            not_after=not_after,
            replaces=replaces,
        )
        fetched = {}
        for url in created.body.authorizations:
            fetched[url] = await self.ctx.run_blocking(account.client.get_authorization, url)
        status = OrderStatus(
            url=created.uri,
            finalize_url=created.body.finalize,
            authorizations=[authorization_of(fetched[url]) for url in created.body.authorizations],
            state=state_of(created),
        )
        return status, fetched

    @staticmethod
    def _not_after(order: Order, now: datetime) -> datetime | None:
        # Only set when the issuer has enableDurationFeature: the backend copies the duration then.
        return now + parse_duration(order.spec.duration) if order.spec.duration else None

    async def _sync(
        self, order: Order, status: OrderStatus, account: Account, challenges: Sequence[Challenge]
    ) -> tuple[OrderStatus, float | None]:
        """Follow the order on the server as far as it goes now: ready -> finalize -> valid -> download."""
        client = account.client
        if not status.url:
            # next_order_step creates an order without a URL first; this is only reached if that changes.
            raise RetryWithBackoff(f"order {order.key} has no status.url to follow at the ACME server")
        server_order = await self.ctx.run_blocking(client.get_order, status.url)
        if state_of(server_order) == State.READY:
            csr_pem = base64.b64decode(order.spec.request)
            server_order = await self.ctx.run_blocking(client.finalize, server_order, csr_pem)
        state = state_of(server_order)
        status.state = state
        if state == State.VALID:
            chain = await self.ctx.run_blocking(
                client.fetch_certificate, server_order, account.config.preferred_chain or None
            )
            status.certificate = base64.b64encode(chain.encode()).decode()
            return status, None
        if state in (State.INVALID, State.EXPIRED):
            reason = failure_reason(problem_of(server_order), challenges, str(state))
            return self._failed(status, state, reason), None
        return status, ORDER_POLL_SECONDS

    def _failed(self, status: OrderStatus, state: State, reason: str) -> OrderStatus:
        status.state = state
        status.reason = reason
        status.failure_time = status.failure_time or self.ctx.clock.now()
        return status

    async def _write(self, order: Order, status: OrderStatus) -> None:
        if order.status is not None and status.to_dict() == order.status.to_dict():
            return
        updated = order.model_copy(deep=True)
        updated.status = status
        try:
            await self.ctx.store.update_status(updated)
        except Conflict:
            raise RetryWithBackoff(f"order {order.key} changed while it was synced") from None
        if status.state != (order.status.state if order.status else None):
            await self._event(updated, status)

    async def _event(self, order: Order, status: OrderStatus) -> None:
        if status.state == State.VALID:
            await self.ctx.events.event(order, "Normal", "Complete", "Order completed successfully")
        elif status.state in (State.INVALID, State.EXPIRED, State.ERRORED):
            await self.ctx.events.event(order, "Warning", "Failed", status.reason or f"Order {status.state}")
        elif status.url and order.status is None:
            await self.ctx.events.event(order, "Normal", "Created", f"Created ACME order {status.url}")

    async def _create_challenges(
        self,
        order: Order,
        status: OrderStatus,
        account: Account,
        existing: Sequence[Challenge],
        fetched: dict[str, messages.AuthorizationResource],
    ) -> None:
        labels = order.metadata.labels or {}
        authorizations = {a.url: a for a in status.authorizations or ()}
        for url in missing_challenges(status, existing):
            chosen = choose_challenge(
                authorizations[url],
                account.config.solvers or [],
                labels,
                self.http01_answered,
                bool(self.options.tlsalpn01_listen),
                dns_persist=answers_dns_persist(account),
            )
            if not isinstance(chosen, str):
                chosen = chosen_with_overrides(chosen, order)
            if isinstance(chosen, str):
                await self._write(order, self._failed(status.model_copy(deep=True), State.ERRORED, chosen))
                return
            resource = fetched.get(url)
            if resource is None:
                resource = await self.ctx.run_blocking(account.client.get_authorization, url)
            body = next((c for c in resource.body.challenges if c.uri == chosen.offered.url), None)
            if body is None:
                raise RetryWithBackoff(f"authorization {url} no longer offers challenge {chosen.offered.url}")
            if chosen.type == ACMEChallengeType.DNS01:
                key = account.client.dns01_record_value(body)
            elif chosen.type == ACMEChallengeType.DNS_PERSIST01:
                key = dns_persist_record_value(account, body, bool(authorizations[url].wildcard))
            else:
                key = account.client.key_authorization(body)
            with contextlib.suppress(AlreadyExists):
                await self.ctx.store.create(challenge_for(order, authorizations[url], chosen, key))

    async def _drop_unstarted_challenges(self, order: Order, challenges: Sequence[Challenge]) -> None:
        """A failed order's Challenges that never finished are pointless: delete them (their finalizer
        cleans up any record). Finished ones stay, so their reason can be read."""
        if order.status is not None and order.status.state == State.VALID:
            return
        for challenge in challenges:
            if challenge_state(challenge) in FINAL_CHALLENGE_STATES or challenge.metadata.deletion_timestamp:
                continue
            with contextlib.suppress(NotFound):
                await self.ctx.store.delete(Challenge, challenge.name, challenge.namespace)
