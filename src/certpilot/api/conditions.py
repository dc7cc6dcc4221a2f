"""Pure helpers over status condition lists, with cert-manager's semantics: one condition per type,
and lastTransitionTime moves only when the status changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from certpilot.api.enums import ConditionStatus
from certpilot.api.meta import Condition

# Condition types used across cert-manager kinds.
READY = "Ready"
ISSUING = "Issuing"
APPROVED = "Approved"
DENIED = "Denied"
INVALID_REQUEST = "InvalidRequest"

# Reasons of a CertificateRequest's Ready condition.
REASON_PENDING = "Pending"
REASON_FAILED = "Failed"
REASON_ISSUED = "Issued"
REASON_DENIED = "Denied"


def get_condition(conditions: Sequence[Condition] | None, type: str) -> Condition | None:
    for condition in conditions or ():
        if condition.type == type:
            return condition
    return None


def is_true(conditions: Sequence[Condition] | None, type: str) -> bool:
    condition = get_condition(conditions, type)
    return condition is not None and condition.status == ConditionStatus.TRUE


def set_condition(
    conditions: Sequence[Condition] | None,
    type: str,
    status: ConditionStatus | str,
    reason: str,
    message: str,
    now: datetime,
    observed_generation: int | None = None,
) -> list[Condition]:
    """A new list with condition `type` set; the input is not modified. The transition time is kept
    when the status is unchanged, so it records when the status last flipped."""
    previous = get_condition(conditions, type)
    status_text = str(status)
    transition = (
        previous.last_transition_time
        if previous is not None and previous.status == status_text and previous.last_transition_time
        else now
    )
    updated = Condition(
        type=type,
        status=ConditionStatus(status_text),
        reason=reason,
        message=message,
        last_transition_time=transition,
        observed_generation=observed_generation,
    )
    result = [c for c in conditions or () if c.type != type]
    if previous is None:
        result.append(updated)
    else:
        result.insert([c.type for c in conditions or ()].index(type), updated)
    return result


def remove_condition(conditions: Sequence[Condition] | None, type: str) -> list[Condition]:
    return [c for c in conditions or () if c.type != type]
