"""certmanager_certificate_challenge_status with cert-manager's labels and states, read from the
Challenges at scrape time."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from certpilot.api.acme import Challenge, ChallengeSpec, ChallengeStatus
from certpilot.api.acme_issuer import ACMEChallengeSolver, ACMEChallengeSolverDNS01
from certpilot.api.common import IssuerReference
from certpilot.api.enums import ACMEChallengeType, State
from certpilot.api.meta import ObjectMeta
from certpilot.server.challenge_status import ChallengeStatusCollector


def challenge(name: str, status: ChallengeStatus | None) -> Challenge:
    spec = ChallengeSpec(
        url="https://acme.test/chal/1",
        authorization_url="https://acme.test/authz/1",
        dns_name="example.com",
        type=ACMEChallengeType.DNS01,
        token="t",
        key="k",
        solver=ACMEChallengeSolver(dns01=ACMEChallengeSolverDNS01()),
        issuer_ref=IssuerReference(name="acme"),
    )
    return Challenge(metadata=ObjectMeta(name=name, namespace="test-challenge"), spec=spec, status=status)


def scrape(challenges: list[Challenge]) -> str:
    registry = CollectorRegistry()
    ChallengeStatusCollector(registry).read_from(lambda: challenges)
    return generate_latest(registry).decode()


def series(name: str, status: str, processing: str = "false", reason: str = "") -> str:
    return (
        f'certmanager_certificate_challenge_status{{domain="example.com",name="{name}",namespace="test-challenge",'
        f'processing="{processing}",reason="{reason}",status="{status}",type="DNS-01"}}'
    )


def test_one_series_per_state_with_the_current_one_at_1() -> None:
    text = scrape([challenge("pending-one", ChallengeStatus(state=State.PENDING, processing=False))])
    assert f"{series('pending-one', 'pending')} 1.0" in text
    for other in ("ready", "valid", "errored", "expired", "invalid", "processing", ""):
        assert f"{series('pending-one', other)} 0.0" in text
    assert "# TYPE certmanager_certificate_challenge_status gauge" in text


def test_an_unsynced_challenge_is_in_the_unknown_state() -> None:
    text = scrape([challenge("new", None)])
    assert f"{series('new', '')} 1.0" in text


def test_reason_and_processing_are_labels() -> None:
    status = ChallengeStatus(state=State.PROCESSING, processing=True, reason="Waiting for DNS-01 propagation")
    text = scrape([challenge("busy", status)])
    assert f"{series('busy', 'processing', 'true', 'Waiting for DNS-01 propagation')} 1.0" in text


def test_a_deleted_challenge_leaves_no_series() -> None:
    challenges = [challenge("gone", ChallengeStatus(state=State.VALID))]
    registry = CollectorRegistry()
    collector = ChallengeStatusCollector(registry)
    collector.read_from(lambda: challenges)
    assert 'name="gone"' in generate_latest(registry).decode()
    challenges.clear()
    assert 'name="gone"' not in generate_latest(registry).decode()
