"""When the renewal-info controller asks the CA, and profile checks: pure decisions."""

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from certpilot.acme.profiles import unknown_profile_problem
from certpilot.controllers.acme.renewal_info import RenewalInfoStep, renewal_info_decision
from certpilot.controllers.certificates.policies.ari_window import (
    StoredRenewalInfo,
    renewal_info_annotations,
    stored_renewal_info,
)

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def leaf(not_after: datetime) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "leaf")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )


LEAF = leaf(NOW + timedelta(days=60))


def stored(cert_id: str, next_poll: datetime | None) -> StoredRenewalInfo:
    return StoredRenewalInfo(cert_id, NOW, NOW + timedelta(days=1), next_poll)


def test_asks_for_a_certificate_it_knows_nothing_about() -> None:
    assert renewal_info_decision(True, LEAF, "a.1", None, NOW).step is RenewalInfoStep.FETCH
    # What is stored is about the previous certificate.
    assert renewal_info_decision(True, LEAF, "a.2", stored("a.1", NOW + timedelta(hours=6)), NOW).step is (
        RenewalInfoStep.FETCH
    )


def test_waits_for_the_retry_after_then_asks_again() -> None:
    info = stored("a.1", NOW + timedelta(hours=6))
    waiting = renewal_info_decision(True, LEAF, "a.1", info, NOW)
    assert waiting.step is RenewalInfoStep.WAIT and waiting.wait == timedelta(hours=6)
    assert (
        renewal_info_decision(True, LEAF, "a.1", info, NOW + timedelta(hours=6)).step is RenewalInfoStep.FETCH
    )


def test_never_asks_about_an_expired_certificate_or_one_without_an_identifier() -> None:
    expired = leaf(NOW - timedelta(seconds=1))
    assert renewal_info_decision(True, expired, "a.1", None, NOW).step is RenewalInfoStep.NOTHING
    assert renewal_info_decision(True, LEAF, None, None, NOW).step is RenewalInfoStep.NOTHING
    assert renewal_info_decision(True, None, None, None, NOW).step is RenewalInfoStep.NOTHING


def test_renewal_information_source_none_forgets_what_was_stored() -> None:
    assert renewal_info_decision(False, LEAF, "a.1", stored("a.1", None), NOW).step is RenewalInfoStep.FORGET
    assert renewal_info_decision(False, LEAF, "a.1", None, NOW).step is RenewalInfoStep.NOTHING


def test_the_stored_answer_round_trips_and_garbage_reads_as_absent() -> None:
    info = stored("a.1", NOW + timedelta(hours=6))
    assert stored_renewal_info(renewal_info_annotations(info)) == info
    garbled = {**renewal_info_annotations(info), "certpilot.io/ari-next-poll": "soon"}
    assert stored_renewal_info(garbled) == StoredRenewalInfo("a.1", info.window_start, info.window_end, None)
    assert stored_renewal_info({}) is None


def test_an_unknown_profile_names_the_offered_ones() -> None:
    assert unknown_profile_problem(None, {"classic"}) is None
    assert unknown_profile_problem("classic", {"classic", "shortlived"}) is None
    problem = unknown_profile_problem("forever", {"classic", "shortlived"})
    assert problem is not None and "'forever' is not offered" in problem and "classic, shortlived" in problem
    none_offered = unknown_profile_problem("classic", set())
    assert none_offered is not None and "offers no profiles" in none_offered
