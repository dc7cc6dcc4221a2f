"""The versioned part of each policy chain is remembered per version of the Secret, the spec and
the current request; the clock's checks run every time; the two chains never share a verdict."""

from datetime import UTC, datetime, timedelta

from certpilot.api import annotations as ann
from certpilot.api.certificate import Certificate, CertificatePrivateKey
from certpilot.api.core import TLS_PRIVATE_KEY_KEY, Secret
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.controllers.certificates.memos import CertificateMemos
from certpilot.controllers.certificates.policies import policy_chains as policies
from certpilot.controllers.certificates.policies import reasons
from certpilot.controllers.certificates.policies.policy_chains import needs_issuance, not_ready_reason
from certpilot.controllers.certificates.policies.policy_input import PolicyInput
from certpilot.controllers.certificates.policies.reasons import Reason
from certpilot.testing.builders import certificate, ec_key, issued_secret

NOW = datetime(2030, 1, 1, tzinfo=UTC)
KEY = ec_key()
CERT = certificate("web", private_key=CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256))
GOOD = issued_secret(CERT, KEY, not_before=NOW - timedelta(days=1), lifetime=timedelta(days=90))


def stored_cert(cert: Certificate, generation: int) -> Certificate:
    copy = cert.model_copy(deep=True)
    copy.metadata.uid, copy.metadata.generation = "uid-cert", generation
    return copy


def stored_secret(secret: Secret, rv: str) -> Secret:
    copy = secret.model_copy(deep=True)
    copy.metadata.uid, copy.metadata.resource_version = "uid-secret", rv
    return copy


def reason_of(found: object) -> str | None:
    return getattr(found, "reason", None)


def test_the_clock_s_checks_run_every_time_though_the_verdict_is_remembered() -> None:
    memos = CertificateMemos()
    cert, secret = stored_cert(CERT, 1), stored_secret(GOOD, "1")
    assert needs_issuance(PolicyInput(cert, secret, None, NOW, memos)) is None
    assert not_ready_reason(PolicyInput(cert, secret, None, NOW, memos)) is None
    expired = PolicyInput(cert, secret, None, NOW + timedelta(days=100), memos)
    assert reason_of(needs_issuance(expired)) == reasons.EXPIRED
    assert reason_of(not_ready_reason(expired)) == reasons.EXPIRED


def test_a_new_secret_or_spec_version_is_judged_afresh() -> None:
    memos = CertificateMemos()
    cert = stored_cert(CERT, 1)
    assert needs_issuance(PolicyInput(cert, stored_secret(GOOD, "1"), None, NOW, memos)) is None
    without_key = stored_secret(GOOD, "2")
    without_key.data = {k: v for k, v in (without_key.data or {}).items() if k != TLS_PRIVATE_KEY_KEY}
    assert reason_of(needs_issuance(PolicyInput(cert, without_key, None, NOW, memos))) == reasons.MISSING_DATA
    respec = stored_cert(
        certificate("web", dns_names=["other.example.com"], private_key=CERT.spec.private_key), 2
    )
    found = needs_issuance(PolicyInput(respec, stored_secret(GOOD, "1"), None, NOW, memos))
    assert reason_of(found) == reasons.SECRET_MISMATCH


def test_the_trigger_s_and_readiness_s_verdicts_are_kept_apart() -> None:
    other = stored_secret(GOOD, "1")
    other.metadata.annotations = {**(other.metadata.annotations or {}), ann.CERTIFICATE_NAME: "another"}
    i = PolicyInput(stored_cert(CERT, 1), other, None, NOW, CertificateMemos())
    assert not_ready_reason(i) is None
    assert reason_of(needs_issuance(i)) == reasons.INCORRECT_CERTIFICATE
    i = PolicyInput(stored_cert(CERT, 1), other, None, NOW, CertificateMemos())
    assert reason_of(needs_issuance(i)) == reasons.INCORRECT_CERTIFICATE
    assert not_ready_reason(i) is None


def test_readiness_s_checks_are_the_trigger_s_without_some_in_the_same_order() -> None:
    """What lets readiness answer from the trigger's verdict (verdict_of_subchain)."""
    trigger = list(policies.TRIGGER_VERSIONED_POLICIES)
    positions = [trigger.index(check) for check in policies.READINESS_VERSIONED_POLICIES]
    assert positions == sorted(positions)


def test_a_subchain_s_verdict_runs_only_the_checks_the_chain_s_verdict_leaves_open() -> None:
    ran: list[str] = []

    def check(name: str, fires: bool) -> policies.Policy:
        def run(_: PolicyInput) -> Reason | None:
            ran.append(name)
            return Reason(name, f"{name} fired") if fires else None

        return run

    a, b, c, d = check("a", False), check("b", True), check("c", False), check("d", True)
    chain, subchain = (a, b, c, d), (a, c, d)
    i = PolicyInput(stored_cert(CERT, 1), stored_secret(GOOD, "1"), None, NOW)
    assert policies.verdict_of_subchain(subchain, chain, None, i) is None
    assert policies.verdict_of_subchain(subchain, chain, (a, Reason("a", "m")), i) == (a, Reason("a", "m"))
    assert ran == []
    assert policies.verdict_of_subchain(subchain, chain, (b, Reason("b", "b fired")), i) == (
        d,
        Reason("d", "d fired"),
    )
    assert ran == ["c", "d"]
