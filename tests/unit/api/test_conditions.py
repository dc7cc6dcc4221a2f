"""Condition helpers: one per type, transition time moves only when the status flips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from certpilot.api.conditions import get_condition, is_true, remove_condition, set_condition
from certpilot.api.enums import ConditionStatus

T0 = datetime(2025, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)


def test_set_adds_a_condition_with_transition_time_now() -> None:
    conditions = set_condition(None, "Ready", ConditionStatus.FALSE, "Pending", "waiting", T0, 1)
    ready = get_condition(conditions, "Ready")
    assert ready is not None
    assert (ready.status, ready.reason, ready.last_transition_time, ready.observed_generation) == (
        "False",
        "Pending",
        T0,
        1,
    )
    assert not is_true(conditions, "Ready")


def test_same_status_keeps_transition_time_but_updates_reason() -> None:
    first = set_condition(None, "Ready", ConditionStatus.FALSE, "Pending", "waiting", T0, 1)
    second = set_condition(first, "Ready", "False", "Failed", "nope", T1, 2)
    ready = get_condition(second, "Ready")
    assert ready is not None
    assert ready.last_transition_time == T0
    assert (ready.reason, ready.message, ready.observed_generation) == ("Failed", "nope", 2)


def test_status_change_moves_transition_time_and_keeps_order() -> None:
    conditions = set_condition(None, "Issuing", "True", "Requested", "go", T0)
    conditions = set_condition(conditions, "Ready", "False", "Pending", "waiting", T0)
    flipped = set_condition(conditions, "Issuing", "False", "Done", "done", T1)
    assert [c.type for c in flipped] == ["Issuing", "Ready"]
    issuing = get_condition(flipped, "Issuing")
    assert issuing is not None and issuing.last_transition_time == T1
    assert get_condition(conditions, "Issuing") is not None
    assert conditions[0].status == "True"  # the input list is untouched


def test_is_true_and_remove() -> None:
    conditions = set_condition(None, "Ready", "True", "Ready", "ok", T0)
    assert is_true(conditions, "Ready")
    assert not is_true(conditions, "Issuing")
    assert remove_condition(conditions, "Ready") == []
