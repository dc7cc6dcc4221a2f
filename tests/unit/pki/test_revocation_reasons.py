"""Revocation reasons by RFC 5280 name or number; 7 (unassigned) and unknown names are refused."""

from __future__ import annotations

import pytest

from certpilot.pki.revocation_reasons import RevocationReason, UnknownRevocationReason, revocation_reason


def test_reasons_are_found_by_name_in_any_case_or_by_number() -> None:
    assert revocation_reason("keyCompromise") is RevocationReason.keyCompromise
    assert revocation_reason("SUPERSEDED") == 4
    assert revocation_reason("10") is RevocationReason.aACompromise


@pytest.mark.parametrize("given", ["7", "11", "compromised", ""])
def test_unassigned_and_unknown_reasons_are_refused_listing_the_valid_ones(given: str) -> None:
    with pytest.raises(UnknownRevocationReason, match=r"keyCompromise \(1\).*7 is unassigned"):
        revocation_reason(given)
