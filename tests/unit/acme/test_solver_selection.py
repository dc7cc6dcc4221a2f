"""Solver selection: cert-manager's precedence of dnsNames, dnsZones, matchLabels and the default solver."""

from __future__ import annotations

import pytest

from certpilot.acme.solver_selection import matching_zone_length, solver_for
from certpilot.api.acme_issuer import (
    ACMEChallengeSolver,
    ACMEChallengeSolverDNS01,
    ACMEChallengeSolverHTTP01,
    ACMEIssuerDNS01ProviderRFC2136,
    CertificateDNSNameSelector,
)

BOTH = ("HTTP-01", "DNS-01")


def http(**selector: object) -> ACMEChallengeSolver:
    sel = CertificateDNSNameSelector.model_validate(selector) if selector else None
    return ACMEChallengeSolver(selector=sel, http01=ACMEChallengeSolverHTTP01())


def dns(**selector: object) -> ACMEChallengeSolver:
    sel = CertificateDNSNameSelector.model_validate(selector) if selector else None
    return ACMEChallengeSolver(
        selector=sel,
        dns01=ACMEChallengeSolverDNS01(rfc2136=ACMEIssuerDNS01ProviderRFC2136(nameserver="127.0.0.1")),
    )


CASES = [
    # (solvers, dns name, offered, labels, expected index or None)
    ([http()], "a.example.com", BOTH, {}, 0),
    ([http(), dns(dnsZones=["example.com"])], "a.example.com", BOTH, {}, 1),
    ([dns(dnsZones=["example.com"]), dns(dnsZones=["sys.example.com"])], "www.sys.example.com", BOTH, {}, 1),
    (
        [dns(dnsZones=["sys.example.com"]), dns(dnsNames=["www.sys.example.com"])],
        "www.sys.example.com",
        BOTH,
        {},
        1,
    ),
    ([dns(dnsZones=["other.com"])], "a.example.com", BOTH, {}, None),
    ([dns(dnsNames=["b.example.com"]), http()], "a.example.com", BOTH, {}, 1),
    (
        [dns(dnsZones=["example.com"]), dns(dnsZones=["example.com"], matchLabels={"t": "x"})],
        "a.example.com",
        BOTH,
        {"t": "x"},
        1,
    ),
    ([http(matchLabels={"t": "x"}), http()], "a.example.com", BOTH, {"t": "y"}, 1),
    ([http(matchLabels={"t": "x"}), http()], "a.example.com", BOTH, {"t": "x"}, 0),
    ([http(), http()], "a.example.com", BOTH, {}, 0),
    ([http(dnsZones=["example.com"]), dns()], "*.example.com", ("DNS-01",), {}, 1),
    ([dns(dnsZones=["example.com"])], "*.example.com", ("DNS-01",), {}, 0),
    ([dns(dnsNames=["example.com"]), dns(dnsNames=["*.example.com"])], "*.example.com", ("DNS-01",), {}, 1),
    ([dns(dnsZones=["a.example.com"])], "a.example.com", BOTH, {}, 0),
    ([dns(dnsZones=["ample.com"])], "a.example.com", BOTH, {}, None),
    ([dns(dnsNames=["a.example.com"], dnsZones=["other.com"])], "a.example.com", BOTH, {}, None),
    ([dns(dnsZones=["Example.COM."])], "A.example.com", BOTH, {}, 0),
]


@pytest.mark.parametrize(("solvers", "name", "offered", "labels", "expected"), CASES)
def test_solver_for(
    solvers: list[ACMEChallengeSolver],
    name: str,
    offered: tuple[str, ...],
    labels: dict[str, str],
    expected: int | None,
) -> None:
    choice = solver_for(solvers, name, offered, labels)
    assert (choice.index if choice else None) == expected
    if choice is not None and expected is not None:
        assert choice.solver is solvers[expected]
        assert choice.challenge_type == ("DNS-01" if choice.solver.dns01 else "HTTP-01")


def test_matching_zone_length_counts_labels_of_the_longest_zone() -> None:
    assert matching_zone_length(["com", "example.com", "x.example.com"], "*.a.example.com") == 2
