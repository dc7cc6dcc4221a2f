"""What an Order needs next, decided from its status and its Challenges alone (no I/O)."""

from __future__ import annotations

import enum
from collections.abc import Sequence

from certpilot.api.acme import Challenge, OrderStatus
from certpilot.api.enums import State

FINAL_ORDER_STATES = frozenset({State.VALID, State.INVALID, State.EXPIRED, State.ERRORED})
FINAL_CHALLENGE_STATES = frozenset({State.VALID, State.INVALID, State.EXPIRED, State.ERRORED, "revoked"})


class OrderStep(enum.Enum):
    CREATE = "create the ACME order"
    CREATE_CHALLENGES = "create a Challenge per pending authorization"
    SYNC = "look at the order on the ACME server (then finalize / download when it is ready)"
    WAIT = "wait for the Challenges"
    DONE = "nothing: the order is final"


def challenge_state(challenge: Challenge) -> str | None:
    return str(challenge.status.state) if challenge.status and challenge.status.state else None


def challenge_failed(challenge: Challenge) -> bool:
    state = challenge_state(challenge)
    return state in FINAL_CHALLENGE_STATES and state != State.VALID


def order_is_final(status: OrderStatus | None) -> bool:
    """Final and complete: a valid order counts only once its certificate is stored."""
    if status is None or status.state not in FINAL_ORDER_STATES:
        return False
    return status.state != State.VALID or bool(status.certificate)


def pending_authorization_urls(status: OrderStatus) -> list[str]:
    return [a.url for a in status.authorizations or () if a.initial_state in (None, State.PENDING)]


def missing_challenges(status: OrderStatus, challenges: Sequence[Challenge]) -> list[str]:
    """Authorization URLs that need a Challenge and have none yet."""
    have = {c.spec.authorization_url for c in challenges}
    return [url for url in pending_authorization_urls(status) if url not in have]


def next_order_step(status: OrderStatus | None, challenges: Sequence[Challenge]) -> OrderStep:
    if order_is_final(status):
        return OrderStep.DONE
    if status is None or not status.url:
        return OrderStep.CREATE
    if status.state in (State.READY, State.PROCESSING, State.VALID):
        return OrderStep.SYNC
    if any(challenge_failed(c) for c in challenges):
        # The server has failed the authorization, and so the order: record its verdict.
        return OrderStep.SYNC
    if missing_challenges(status, challenges):
        return OrderStep.CREATE_CHALLENGES
    by_authorization = {c.spec.authorization_url: c for c in challenges}
    if all(
        challenge_state(by_authorization[url]) == State.VALID for url in pending_authorization_urls(status)
    ):
        return OrderStep.SYNC
    return OrderStep.WAIT


def failure_reason(server_problem: str | None, challenges: Sequence[Challenge], state: str) -> str:
    """Why an order failed: the server's own problem, else the first failed Challenge's reason."""
    if server_problem:
        return server_problem
    for challenge in challenges:
        if challenge_failed(challenge) and challenge.status and challenge.status.reason:
            return (
                f"challenge {challenge.name} for {challenge.spec.dns_name} failed: {challenge.status.reason}"
            )
    return f"the ACME server reports the order {state}"
