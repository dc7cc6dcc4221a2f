"""ACME profiles (draft-aaron-acme-profiles): which the server offers, and whether an issuer's
profile is one of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from certpilot.acme.client import AcmeClient


def offered_profiles(client: AcmeClient) -> set[str]:
    """Blocking: the profiles the server's directory lists in meta.profiles, maybe none."""
    meta = client.acme.directory.meta
    return set(getattr(meta, "profiles", None) or {})


def unknown_profile_problem(profile: str | None, offered: set[str]) -> str | None:
    """Why an order cannot name `profile`: the server lists other profiles, or none at all."""
    if not profile or profile in offered:
        return None
    if not offered:
        return (
            f"spec.acme.profile {profile!r}: the ACME server offers no profiles (its directory has no "
            "meta.profiles); remove spec.acme.profile from the issuer"
        )
    return (
        f"spec.acme.profile {profile!r} is not offered by the ACME server, which offers: "
        f"{', '.join(sorted(offered))}"
    )
