"""Challenge choice for IP address identifiers (RFC 8738: http-01 or tls-alpn-01, never dns-01, never
an IP common name) and for dns-persist-01 (only when the issuer opts in and the CA offers it)."""

from __future__ import annotations

from certpilot.api.acme import ACMEAuthorization, ACMEChallenge
from certpilot.api.acme_issuer import ACMEChallengeSolver, ACMEChallengeSolverHTTP01
from certpilot.api.enums import ACMEChallengeType
from certpilot.controllers.acme.challenge_choice import ChosenChallenge, choose_challenge
from certpilot.issuers.acme import RequestedNames, ip_common_name_problem

HTTP = ACMEChallengeSolver(http01=ACMEChallengeSolverHTTP01())
DNS = ACMEChallengeSolver.model_validate({"dns01": {"rfc2136": {"nameserver": "127.0.0.1"}}})
OFFERED = [
    ACMEChallenge(url="https://ca/c/http", token="t1", type="http-01"),
    ACMEChallenge(url="https://ca/c/dns", token="t2", type="dns-01"),
    ACMEChallenge(url="https://ca/c/alpn", token="t3", type="tls-alpn-01"),
]


def test_an_ip_address_is_solved_by_the_http01_solver_even_when_dns01_is_listed_first() -> None:
    authz = ACMEAuthorization(url="https://ca/a/1", identifier="192.0.2.7", challenges=OFFERED)
    chosen = choose_challenge(authz, [DNS, HTTP], {}, True, False)
    assert isinstance(chosen, ChosenChallenge) and chosen.type == ACMEChallengeType.HTTP01
    alpn = choose_challenge(authz, [DNS, HTTP], {}, False, True)
    assert isinstance(alpn, ChosenChallenge) and alpn.type == ACMEChallengeType.TLS_ALPN01


def test_only_a_dns01_solver_for_an_ip_address_is_refused_naming_the_solver() -> None:
    authz = ACMEAuthorization(url="https://ca/a/1", identifier="2001:db8::1", challenges=OFFERED)
    refusal = choose_challenge(authz, [DNS], {}, True, True)
    assert isinstance(refusal, str)
    assert "'2001:db8::1'" in refusal and "solver #0 (dns01)" in refusal and "http01" in refusal


def test_a_dns_name_still_goes_to_dns01() -> None:
    authz = ACMEAuthorization(url="https://ca/a/1", identifier="web.example.test", challenges=OFFERED)
    chosen = choose_challenge(authz, [DNS], {}, True, True)
    assert isinstance(chosen, ChosenChallenge) and chosen.type == ACMEChallengeType.DNS01


def test_an_ip_common_name_is_refused_before_any_order() -> None:
    problem = ip_common_name_problem(RequestedNames("192.0.2.7", (), ("192.0.2.7",)))
    assert problem is not None and "spec.commonName '192.0.2.7'" in problem
    assert ip_common_name_problem(RequestedNames(None, (), ("192.0.2.7",))) is None
    assert ip_common_name_problem(RequestedNames("web.example.test", ("web.example.test",), ())) is None


PERSIST_OFFERED = [*OFFERED, ACMEChallenge(url="https://ca/c/persist", token="", type="dns-persist-01")]


def test_dns_persist_is_chosen_only_when_the_issuer_opts_in_and_the_ca_offers_it() -> None:
    authz = ACMEAuthorization(url="https://ca/a/1", identifier="web.example.test", challenges=PERSIST_OFFERED)
    persist = choose_challenge(authz, [DNS], {}, True, True, dns_persist=True)
    assert isinstance(persist, ChosenChallenge) and persist.type == ACMEChallengeType.DNS_PERSIST01
    assert persist.offered.url == "https://ca/c/persist" and persist.solver is DNS
    plain = choose_challenge(authz, [DNS], {}, True, True)
    assert isinstance(plain, ChosenChallenge) and plain.type == ACMEChallengeType.DNS01
    not_offered = ACMEAuthorization(url="https://ca/a/2", identifier="web.example.test", challenges=OFFERED)
    fallback = choose_challenge(not_offered, [DNS], {}, True, True, dns_persist=True)
    assert isinstance(fallback, ChosenChallenge) and fallback.type == ACMEChallengeType.DNS01
    # An http01 solver still answers with the built-in listener.
    http = choose_challenge(authz, [HTTP], {}, True, False, dns_persist=True)
    assert isinstance(http, ChosenChallenge) and http.type == ACMEChallengeType.HTTP01
