"""`certpilot renew`'s decision: mark for issuance, or refuse while an issuance runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from certpilot.api.conditions import get_condition
from certpilot.controllers.certificates.manual_renewal import AlreadyIssuing, request_renewal
from certpilot.testing.builders import certificate

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_marks_the_certificate_issuing_without_touching_the_original() -> None:
    cert = certificate("web", dns_names=["web.example.test"])
    renewed = request_renewal(cert, NOW)
    issuing = get_condition(renewed.status.conditions if renewed.status else None, "Issuing")
    assert issuing is not None
    assert (issuing.status, issuing.reason, issuing.last_transition_time) == (
        "True",
        "ManuallyTriggered",
        NOW,
    )
    assert cert.status is None


def test_refuses_while_already_issuing() -> None:
    renewed = request_renewal(certificate("web", dns_names=["web.example.test"]), NOW)
    with pytest.raises(AlreadyIssuing, match="already being issued"):
        request_renewal(renewed, NOW)
