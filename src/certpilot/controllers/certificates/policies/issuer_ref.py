"""Comparing a Certificate's issuerRef with what a Secret or request records about its issuer."""

from __future__ import annotations

from collections.abc import Mapping

from certpilot.api import annotations as ann
from certpilot.api.common import IssuerReference
from certpilot.api.defaults import issuer_group, issuer_kind


def issuer_refs_equal(a: IssuerReference, b: IssuerReference) -> bool:
    """Equal once defaults are applied: kind Issuer, group cert-manager.io."""
    return (a.name, issuer_kind(a), issuer_group(a)) == (b.name, issuer_kind(b), issuer_group(b))


def issuer_ref_matches_annotations(ref: IssuerReference, found: Mapping[str, str]) -> bool:
    """Whether the issuer-name/kind/group annotations name the same issuer as ref; a missing or
    empty kind or group annotation means the default, as in cert-manager."""
    recorded = IssuerReference(
        name=found.get(ann.ISSUER_NAME, ""),
        kind=found.get(ann.ISSUER_KIND) or None,
        group=found.get(ann.ISSUER_GROUP) or None,
    )
    return issuer_refs_equal(ref, recorded)


def issuer_ref_text(ref: IssuerReference) -> str:
    """`Kind.group/name`, as cert-manager prints issuer references."""
    return f"{issuer_kind(ref)}.{issuer_group(ref)}/{ref.name}"
