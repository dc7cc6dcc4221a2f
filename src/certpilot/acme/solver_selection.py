"""Which of an ACME issuer's solvers solves a DNS name, with cert-manager's precedence.

A solver is a candidate when its challenge type is offered for the authorization and its selector
matches: every matchLabels pair is on the Certificate, the name is one of its dnsNames (when listed), the
name is inside one of its dnsZones (when listed). Among candidates the best rank wins, then the earlier
solver in the list:

1. a dnsNames match beats any dnsZones match;
2. the longest (most labels) matching zone beats shorter ones;
3. more matchLabels beat fewer.

A solver without a selector matches everything at the lowest rank. A wildcard name `*.example.com`
matches dnsNames only as written (`*.example.com`) and zones by its base (`example.com` and its parents).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from certpilot.api.acme_issuer import ACMEChallengeSolver, CertificateDNSNameSelector
from certpilot.api.enums import ACMEChallengeType


@dataclass(frozen=True)
class SolverChoice:
    solver: ACMEChallengeSolver
    challenge_type: ACMEChallengeType
    index: int  # position in the issuer's solvers list


def labels_of(name: str) -> list[str]:
    return [label for label in name.lower().rstrip(".").split(".") if label]


def challenge_type_of(solver: ACMEChallengeSolver) -> ACMEChallengeType | None:
    if solver.dns01 is not None:
        return ACMEChallengeType.DNS01
    if solver.http01 is not None:
        return ACMEChallengeType.HTTP01
    return None


def matching_zone_length(zones: Sequence[str], dns_name: str) -> int:
    """Labels in the longest zone containing `dns_name` (a wildcard by its base); 0 when none does."""
    name = labels_of(dns_name.removeprefix("*."))
    best = 0
    for zone in zones:
        zone_labels = labels_of(zone)
        if zone_labels and name[len(name) - len(zone_labels) :] == zone_labels:
            best = max(best, len(zone_labels))
    return best


def selector_rank(
    selector: CertificateDNSNameSelector | None, dns_name: str, labels: Mapping[str, str]
) -> tuple[int, int, int] | None:
    """(dnsNames matched, zone labels matched, matchLabels matched), or None when the selector excludes."""
    if selector is None:
        return 0, 0, 0
    match_labels = selector.match_labels or {}
    if any(labels.get(k) != v for k, v in match_labels.items()):
        return None
    name_rank = 0
    if selector.dns_names:
        if dns_name.lower() not in {n.lower() for n in selector.dns_names}:
            return None
        name_rank = 1
    zone_rank = 0
    if selector.dns_zones:
        zone_rank = matching_zone_length(selector.dns_zones, dns_name)
        if zone_rank == 0:
            return None
    return name_rank, zone_rank, len(match_labels)


def solver_for(
    solvers: Sequence[ACMEChallengeSolver],
    dns_name: str,
    offered_types: Collection[str],
    certificate_labels: Mapping[str, str] | None = None,
) -> SolverChoice | None:
    """The solver for `dns_name` (`*.x` for a wildcard) among `solvers`, or None when none fits."""
    best: tuple[tuple[int, int, int], SolverChoice] | None = None
    for index, solver in enumerate(solvers):
        challenge_type = challenge_type_of(solver)
        if challenge_type is None or challenge_type not in offered_types:
            continue
        rank = selector_rank(solver.selector, dns_name, certificate_labels or {})
        if rank is not None and (best is None or rank > best[0]):
            best = rank, SolverChoice(solver, challenge_type, index)
    return best[1] if best else None
