"""waitInsteadOfSelfCheck's verdict, the nameservers a DNS-01 solver's self-check uses, and the
admission checks of both."""

from datetime import UTC, datetime, timedelta

import pytest

from certpilot.api.acme_issuer import (
    ACMEChallengeSolver,
    ACMEChallengeSolverDNS01,
    ACMEIssuer,
    ACMEIssuerDNS01ProviderRFC2136,
)
from certpilot.api.issuer import IssuerSpec
from certpilot.api.meta import SecretKeySelector
from certpilot.api.validate_issuer import issuer_spec_errors
from certpilot.controllers.acme.challenge_wait import wait_before_accepting_is_over
from certpilot.controllers.acme.solving import self_check_nameservers
from certpilot.controllers.options import ControllerOptions

T0 = datetime(2030, 1, 1, tzinfo=UTC)
RETRY = timedelta(seconds=10)


def test_not_ready_until_the_wait_has_passed_since_presenting() -> None:
    verdict = wait_before_accepting_is_over(
        T0, timedelta(seconds=30), T0 + timedelta(seconds=25), RETRY, "DNS-01"
    )
    assert not verdict.ready
    assert verdict.retry_after == timedelta(seconds=5)
    assert verdict.reason == "Waiting 5s before accepting DNS-01 challenge without self-check"


def test_a_long_wait_is_looked_at_again_every_retry_period() -> None:
    verdict = wait_before_accepting_is_over(T0, timedelta(minutes=5), T0, RETRY, "HTTP-01")
    assert not verdict.ready and verdict.retry_after == RETRY


@pytest.mark.parametrize("waited", [timedelta(seconds=30), timedelta(seconds=31)])
def test_ready_once_the_wait_has_passed(waited: timedelta) -> None:
    assert wait_before_accepting_is_over(T0, timedelta(seconds=30), T0 + waited, RETRY, "DNS-01").ready


def test_zero_wait_is_ready_at_once() -> None:
    assert wait_before_accepting_is_over(T0, timedelta(0), T0, RETRY, "DNS-01").ready


DAEMON = ControllerOptions(
    dns01_recursive_nameservers=("10.0.0.1:53",), dns01_recursive_nameservers_only=False
)


def test_solver_nameservers_override_the_daemons_and_check_only_at_them() -> None:
    dns01 = ACMEChallengeSolverDNS01(nameservers=["10.9.9.9:5353"])
    assert self_check_nameservers(dns01, DAEMON) == (("10.9.9.9:5353",), True)


def test_without_solver_nameservers_the_daemons_flags_apply() -> None:
    assert self_check_nameservers(ACMEChallengeSolverDNS01(), DAEMON) == (("10.0.0.1:53",), False)


def issuer_with(solver: ACMEChallengeSolver) -> IssuerSpec:
    acme = ACMEIssuer(
        server="https://acme.example/dir",
        private_key_secret_ref=SecretKeySelector(name="k"),
        solvers=[solver],
    )
    return IssuerSpec(acme=acme)


def rfc2136(**fields: object) -> ACMEChallengeSolverDNS01:
    return ACMEChallengeSolverDNS01(
        rfc2136=ACMEIssuerDNS01ProviderRFC2136(nameserver="10.0.0.1:53"), **fields
    )


def test_valid_options_have_no_errors() -> None:
    solver = ACMEChallengeSolver(
        dns01=rfc2136(nameservers=["10.0.0.2:53", "[2001:db8::1]:53"]), wait_instead_of_self_check="30s"
    )
    assert list(issuer_spec_errors(issuer_with(solver))) == []


@pytest.mark.parametrize(
    ("solver", "path"),
    [
        (
            ACMEChallengeSolver(dns01=rfc2136(), wait_instead_of_self_check="-1s"),
            "spec.acme.solvers[0].waitInsteadOfSelfCheck",
        ),
        (
            ACMEChallengeSolver(dns01=rfc2136(), wait_instead_of_self_check="soon"),
            "spec.acme.solvers[0].waitInsteadOfSelfCheck",
        ),
        (
            ACMEChallengeSolver(dns01=rfc2136(nameservers=["10.0.0.2"])),
            "spec.acme.solvers[0].dns01.nameservers[0]",
        ),
        (
            ACMEChallengeSolver(dns01=rfc2136(nameservers=["https://dns.example/dns-query"])),
            "spec.acme.solvers[0].dns01.nameservers[0]",
        ),
    ],
)
def test_invalid_options_name_the_field(solver: ACMEChallengeSolver, path: str) -> None:
    assert [e.path for e in issuer_spec_errors(issuer_with(solver))] == [path]


def test_nameservers_are_not_taken_for_a_provider() -> None:
    assert rfc2136(nameservers=["10.0.0.2:53"]).providers() == ["rfc2136"]
