"""The Challenge controller: for a scheduled (processing) Challenge, sync with the ACME server,
present, self-check (retried every dns01_check_retry_period), accept, wait for the verdict, copy it to
status, clean up and free the slot. Its finalizer makes deleting a Challenge clean up first.

The key authorization in spec.key never leaves this controller except to the solver.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from certpilot.acme.client_errors import AcmeError, problem_message
from certpilot.acme.solvers.dns01.webhook import SolverEndpoints
from certpilot.acme.solvers.http01_presenter import Http01Presenter
from certpilot.api.acme import Challenge, ChallengeStatus
from certpilot.api.duration import parse_duration
from certpilot.api.enums import ACMEChallengeType, State
from certpilot.controllers.acme.account import (
    Account,
    account_of,
    issuer_or_wait,
    register_again_if_account_lost,
)
from certpilot.controllers.acme.challenge_choice import ACME_FINALIZER
from certpilot.controllers.acme.challenge_steps import ChallengeStep, is_final_state, next_challenge_step
from certpilot.controllers.acme.challenge_wait import wait_before_accepting_is_over
from certpilot.controllers.acme.orders import is_refusal
from certpilot.controllers.acme.solving import ChallengeSolving, SolverListeners
from certpilot.controllers.issuers.resolve import resource_namespace
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.context import ControllerContext
from certpilot.runtime.controller import ControllerSpec, ObjectKey, Result
from certpilot.runtime.errors import PendingError, RetryWithBackoff
from certpilot.server import metrics
from certpilot.store.errors import Conflict, NotFound

if TYPE_CHECKING:
    from acme import messages

    from certpilot.acme.client import AcmeClient

# How soon to look again at an authorization the server is still validating.
AUTHORIZATION_POLL_SECONDS = 0.5
# Failed self-checks after which the answer is presented again (a minute at the default 10 s).
PRESENT_AGAIN_AFTER_CHECKS = 6
# The states an ACME authorization ends in; "deactivated" and "revoked" count as failed.
AUTHORIZATION_FAILED = {"invalid": State.INVALID, "expired": State.EXPIRED, "deactivated": State.INVALID}


def challenge_state_of(body: messages.ChallengeBody) -> State:
    name = body.status.name if body.status else "pending"
    return State(name) if name in {s.value for s in State} else State.INVALID


def challenge_problem(body: messages.ChallengeBody) -> str:
    return problem_message(body.error) if body.error is not None else ""


def awaits_answer(body: messages.ChallengeBody) -> bool:
    """Whether the server still waits for us to say the challenge is ready (RFC 8555 7.5.1)."""
    return challenge_state_of(body) == State.PENDING


def verdict_of(authz: messages.Authorization, challenge_url: str) -> tuple[State | None, str]:
    """(final state, reason) of an authorization, or (None, "") while the server still validates."""
    status = authz.status.name if authz.status else "pending"
    if status == "valid":
        return State.VALID, ""
    if status in AUTHORIZATION_FAILED:
        ours = next((c for c in authz.challenges if c.uri == challenge_url), None)
        problem = challenge_problem(ours) if ours is not None else ""
        return AUTHORIZATION_FAILED[status], problem or f"the authorization is {status}"
    return None, ""


def present_again(presented_at: datetime | None, now: datetime, retry_period: timedelta) -> bool:
    """Whether a self-check that keeps failing has failed long enough (PRESENT_AGAIN_AFTER_CHECKS
    retry periods since presenting) to present the answer again."""
    return presented_at is not None and now - presented_at >= retry_period * PRESENT_AGAIN_AFTER_CHECKS


class ChallengeController:
    def __init__(
        self,
        ctx: ControllerContext,
        options: ControllerOptions,
        listeners: SolverListeners,
        http01: Http01Presenter | None = None,
        dns01_webhooks: SolverEndpoints | None = None,
    ) -> None:
        self.ctx = ctx
        self.options = options
        self.solving = ChallengeSolving(ctx.store, options, listeners, http01, dns01_webhooks)
        self.spec = ControllerSpec(name="challenges", primary=Challenge)
        # Scrapes run on the metrics server's thread: snapshot() is the cache read safe from there.
        metrics.CERTIFICATE_CHALLENGE_STATUS.read_from(lambda: ctx.cache.snapshot(Challenge))

    async def reconcile(self, key: ObjectKey) -> Result:
        cached = self.ctx.cache.get(Challenge, key.name, key.namespace)
        if cached is None:
            return Result()
        challenge = cached.model_copy(deep=True)
        status = challenge.status.model_copy(deep=True) if challenge.status else ChallengeStatus()
        step = next_challenge_step(challenge, status)
        if step is ChallengeStep.CLEAN_UP_AND_RELEASE:
            await self._clean_up_and_release(challenge)
            return Result()
        if step is ChallengeStep.ADD_FINALIZER:
            challenge.metadata.finalizers = [*(challenge.metadata.finalizers or ()), ACME_FINALIZER]
            await self._store_write(self.ctx.store.update(challenge), challenge)
            return Result()
        if step in (ChallengeStep.DONE, ChallengeStep.WAIT_FOR_SCHEDULER):
            return Result()
        account = await account_of(self.ctx, self.options, challenge.spec.issuer_ref, challenge.namespace)
        try:
            requeue = await self._advance(challenge, status, account)
        except AcmeError as e:
            await register_again_if_account_lost(self.ctx, account, e)
            if not is_refusal(e):
                raise
            status.state, status.reason = State.ERRORED, str(e)
            requeue = 0.0
        await self._write_status(challenge, status)
        return Result(requeue_after=requeue)

    async def _advance(self, challenge: Challenge, status: ChallengeStatus, account: Account) -> float | None:
        """Run steps until one has to wait; returns when to look again (None: on the next change)."""
        client = account.client
        body: messages.ChallengeBody | None = None
        while True:
            step = next_challenge_step(challenge, status)
            if step is ChallengeStep.SYNC:
                body = await self.ctx.run_blocking(client.get_challenge, challenge.spec.url)
                status.state = challenge_state_of(body)
                if is_final_state(status.state):
                    status.reason = challenge_problem(body)
            elif step is ChallengeStep.PRESENT:
                await self.solving.present(challenge, account.resource_namespace)
                status.presented = True
                status.presented_at = self.ctx.clock.now().replace(microsecond=0)
                # Recorded at once: from here on, deleting the Challenge must clean the record up.
                await self._write_status(challenge, status.model_copy(deep=True))
                await self.ctx.events.event(
                    challenge,
                    "Normal",
                    "Presented",
                    f"Presented challenge using {challenge.spec.type} challenge mechanism",
                )
            elif step is ChallengeStep.SELF_CHECK_AND_ACCEPT:
                not_yet = await self._not_ready_to_accept(challenge, status, account)
                if not_yet is not None:
                    return not_yet
                body = await self._accept(client, challenge, body)
                status.state = challenge_state_of(body)
                status.reason = challenge_problem(body) if is_final_state(status.state) else ""
                if status.state == State.PENDING:
                    status.state = State.PROCESSING
            elif step is ChallengeStep.POLL:
                authz = await self.ctx.run_blocking(
                    client.get_authorization, challenge.spec.authorization_url
                )
                state, reason = verdict_of(authz.body, challenge.spec.url)
                if state is None:
                    return AUTHORIZATION_POLL_SECONDS
                status.state, status.reason = state, reason
            elif step is ChallengeStep.FINISH:
                await self.solving.cleanup(challenge, account.resource_namespace)
                status.processing, status.presented = False, False
                await self._final_event(challenge, status)
                return None
            else:
                return None

    async def _not_ready_to_accept(
        self, challenge: Challenge, status: ChallengeStatus, account: Account
    ) -> float | None:
        """None when the Challenge may be accepted now: its self-check passes, or the solver's
        waitInsteadOfSelfCheck has passed since presenting. Otherwise sets status.reason and
        returns when to look again."""
        retry_period = self.options.dns01_check_retry_period
        wait = challenge.spec.solver.wait_instead_of_self_check
        if wait is not None:
            now = self.ctx.clock.now()
            # Presented before presentedAt was recorded (an older version): the wait starts now.
            status.presented_at = status.presented_at or now.replace(microsecond=0)
            verdict = wait_before_accepting_is_over(
                status.presented_at, parse_duration(wait), now, retry_period, str(challenge.spec.type)
            )
            if verdict.ready:
                return None
            status.reason = verdict.reason
            return verdict.retry_after.total_seconds()
        check = await self.solving.self_check(challenge, account.resource_namespace)
        if check.passed:
            return None
        status.reason = check.reason
        now = self.ctx.clock.now()
        if present_again(status.presented_at, now, retry_period):
            # What was presented may be gone (a DNS server restarted from its zone file loses
            # dynamic updates): presenting is idempotent, so put it back.
            await self.solving.present(challenge, account.resource_namespace)
            status.presented_at = now.replace(microsecond=0)
        return retry_period.total_seconds()

    async def _accept(
        self, client: AcmeClient, challenge: Challenge, body: messages.ChallengeBody | None
    ) -> messages.ChallengeBody:
        current = body
        if current is None:
            current = await self.ctx.run_blocking(client.get_challenge, challenge.spec.url)
        if not awaits_answer(current):
            # Answered already: an earlier answer reached the server but its reply was lost to the
            # network; answering again would be refused ("only status pending") and fail the challenge.
            return current
        if challenge.spec.type == ACMEChallengeType.DNS_PERSIST01:
            return await self.ctx.run_blocking(client.answer_persist_challenge, challenge.spec.url)
        return await self.ctx.run_blocking(client.answer_challenge, current)

    async def _final_event(self, challenge: Challenge, status: ChallengeStatus) -> None:
        if status.state == State.VALID:
            message = f'Domain "{challenge.spec.dns_name}" verified with "{challenge.spec.type}" validation'
            await self.ctx.events.event(challenge, "Normal", "DomainVerified", message)
        else:
            await self.ctx.events.event(
                challenge, "Warning", "Failed", status.reason or f"challenge {status.state}"
            )

    async def _clean_up_and_release(self, challenge: Challenge) -> None:
        """Remove whatever may have been presented, then the finalizer. Without its issuer there is
        nothing to clean up with, so the finalizer goes anyway rather than block deletion forever."""
        status = challenge.status
        if status is not None and (status.presented or status.processing):
            try:
                issuer = issuer_or_wait(self.ctx, challenge.spec.issuer_ref, challenge.namespace)
            except PendingError:
                issuer = None
            if issuer is not None:
                await self.solving.cleanup(challenge, resource_namespace(issuer, self.options))
        challenge.metadata.finalizers = [
            f for f in challenge.metadata.finalizers or () if f != ACME_FINALIZER
        ]
        try:
            await self._store_write(self.ctx.store.update(challenge), challenge)
        except NotFound:
            return

    async def _write_status(self, challenge: Challenge, status: ChallengeStatus) -> None:
        if challenge.status is not None and status.to_dict() == challenge.status.to_dict():
            return
        challenge.status = status
        written = await self._store_write(self.ctx.store.update_status(challenge), challenge)
        challenge.metadata.resource_version = written.metadata.resource_version

    @staticmethod
    async def _store_write(write: Awaitable[Challenge], challenge: Challenge) -> Challenge:
        try:
            return await write
        except Conflict:
            raise RetryWithBackoff(f"challenge {challenge.key} changed while it was processed") from None
