"""Approval: who is auto-approved, and Approved / Denied being final and exclusive."""

from __future__ import annotations

import pytest

from certpilot.api.certificaterequest import CertificateRequestStatus
from certpilot.api.conditions import get_condition, set_condition
from certpilot.api.meta import Condition
from certpilot.controllers.certificaterequests.approver import (
    AUTO_APPROVAL_MESSAGE,
    AUTO_APPROVAL_REASON,
    AlreadyDecided,
    approve,
    deny,
    should_auto_approve,
    still_undecided,
)
from certpilot.controllers.certificaterequests.signer import still_unfinished
from certpilot.controllers.options import ControllerOptions
from tests.unit.controllers.certificaterequests.cr_material import NOW, request

ON = ControllerOptions()


@pytest.mark.parametrize(
    ("group", "kind", "options", "approved"),
    [
        (None, None, ON, True),
        ("cert-manager.io", "ClusterIssuer", ON, True),
        ("example.com", "MyIssuer", ON, False),
        ("example.com", "MyIssuer", ControllerOptions(approve_signers=("example.com/MyIssuer",)), True),
        ("example.com", "Other", ControllerOptions(approve_signers=("example.com/*",)), True),
        ("example.com", "Other", ControllerOptions(approve_signers=("example.com/MyIssuer",)), False),
        (None, None, ControllerOptions(auto_approve=False), False),
    ],
)
def test_who_is_auto_approved(
    group: str | None, kind: str | None, options: ControllerOptions, approved: bool
) -> None:
    assert should_auto_approve(request(group=group, kind=kind), options) is approved


@pytest.mark.parametrize("decided", ["Approved", "Denied"])
def test_a_decided_request_is_never_auto_approved(decided: str) -> None:
    assert not should_auto_approve(request(conditions={decided: ("True", "someone")}), ON)


def test_approve_sets_cert_managers_condition_without_touching_the_input() -> None:
    cr = request()
    approved = approve(cr, AUTO_APPROVAL_REASON, AUTO_APPROVAL_MESSAGE, NOW)
    condition = get_condition(approved.status.conditions if approved.status else None, "Approved")
    assert condition is not None
    assert (condition.status, condition.reason, condition.message) == (
        "True",
        "cert-manager.io",
        "Certificate request has been approved by cert-manager.io",
    )
    assert cr.status is None


@pytest.mark.parametrize("first", [approve, deny])
@pytest.mark.parametrize("second", [approve, deny])
def test_decisions_are_final_and_exclusive(first: object, second: object) -> None:
    decided = first(request(), "r", "m", NOW)  # type: ignore[operator]
    with pytest.raises(AlreadyDecided, match="final"):
        second(decided, "r", "m", NOW)  # type: ignore[operator]


def test_only_undecided_requests_wake_the_approver_and_only_unfinished_ones_the_signer() -> None:
    fresh = request()
    approved = approve(fresh, AUTO_APPROVAL_REASON, AUTO_APPROVAL_MESSAGE, NOW)
    assert still_undecided(fresh, fresh)
    assert not still_undecided(fresh, approved), "a decided request is never approved again"
    assert still_unfinished(fresh, approved), "approval is what the signer waits for"
    issued = approved.model_copy(deep=True)
    issued.status = CertificateRequestStatus(
        conditions=[
            *(approved.status.conditions if approved.status else []),
            *set_ready(),
        ],
        certificate="Y2VydA==",
    )
    assert not still_unfinished(approved, issued)


def set_ready() -> list[Condition]:
    return set_condition(None, "Ready", "True", "Issued", "issued", NOW)
