"""What a Challenge needs next, from its status alone (no I/O): cert-manager's challenge lifecycle."""

from __future__ import annotations

import enum

from certpilot.api.acme import Challenge, ChallengeStatus
from certpilot.api.enums import State
from certpilot.controllers.acme.challenge_choice import ACME_FINALIZER
from certpilot.controllers.acme.order_steps import FINAL_CHALLENGE_STATES


class ChallengeStep(enum.Enum):
    CLEAN_UP_AND_RELEASE = "being deleted: clean up the solver, then drop the finalizer"
    ADD_FINALIZER = "add the finalizer before anything is presented"
    WAIT_FOR_SCHEDULER = "not scheduled yet"
    SYNC = "read the challenge's state on the ACME server"
    PRESENT = "present the record / token"
    SELF_CHECK_AND_ACCEPT = "self-check, then tell the server to validate"
    POLL = "wait for the server's verdict on the authorization"
    FINISH = "final: clean up the solver and free the slot"
    DONE = "nothing to do"


def has_finalizer(challenge: Challenge) -> bool:
    return ACME_FINALIZER in (challenge.metadata.finalizers or ())


def is_final_state(state: str | None) -> bool:
    return state in FINAL_CHALLENGE_STATES


def next_challenge_step(challenge: Challenge, status: ChallengeStatus) -> ChallengeStep:
    """`status` is the working copy (steps run one after another within a reconcile)."""
    if challenge.metadata.deletion_timestamp is not None:
        return ChallengeStep.CLEAN_UP_AND_RELEASE if has_finalizer(challenge) else ChallengeStep.DONE
    state = str(status.state) if status.state else None
    if not has_finalizer(challenge) and not is_final_state(state):
        return ChallengeStep.ADD_FINALIZER
    if not status.processing:
        return ChallengeStep.DONE if is_final_state(state) else ChallengeStep.WAIT_FOR_SCHEDULER
    if is_final_state(state):
        return ChallengeStep.FINISH
    if state is None:
        return ChallengeStep.SYNC
    if state == State.PENDING:
        return ChallengeStep.SELF_CHECK_AND_ACCEPT if status.presented else ChallengeStep.PRESENT
    return ChallengeStep.POLL
