"""RFC 5280 CRL reason codes by the names users type (`certpilot revoke --reason keyCompromise`).

Code 7 is unassigned and refused, as CAs refuse it (badRevocationReason)."""

from __future__ import annotations

import enum


class RevocationReason(enum.IntEnum):
    """Named as RFC 5280 spells them, which is also what the CLI accepts."""

    unspecified = 0
    keyCompromise = 1
    cACompromise = 2
    affiliationChanged = 3
    superseded = 4
    cessationOfOperation = 5
    certificateHold = 6
    removeFromCRL = 8
    privilegeWithdrawn = 9
    aACompromise = 10


class UnknownRevocationReason(ValueError):
    pass


def revocation_reason(given: str) -> RevocationReason:
    """The reason named `given` (RFC 5280 name, any case) or given as its number."""
    text = given.strip()
    if text.isdigit():
        try:
            return RevocationReason(int(text))
        except ValueError:
            pass
    else:
        for reason in RevocationReason:
            if reason.name.lower() == text.lower():
                return reason
    names = ", ".join(f"{r.name} ({r.value})" for r in RevocationReason)
    raise UnknownRevocationReason(
        f"revocation reason {given!r} is not an RFC 5280 reason: use one of {names} (7 is unassigned)"
    )
