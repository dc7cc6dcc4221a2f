"""Short-lived renewal, the jitter, ARI windows and CA rotation: pure decisions over a fixed `now`."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from acme.client import _renewal_info_path_component
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from certpilot.acme.renewal_info import DEFAULT_POLL_INTERVAL, certificate_id, next_poll_after
from certpilot.api import annotations as ann
from certpilot.api.certificate import CertificatePrivateKey
from certpilot.api.core import Secret
from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.controllers.certificates.policies import reasons
from certpilot.controllers.certificates.policies.ca_rotation import signed_by
from certpilot.controllers.certificates.policies.policy_chains import needs_issuance
from certpilot.controllers.certificates.policies.policy_input import PolicyInput
from certpilot.controllers.certificates.policies.renewal import (
    JITTER_SHARE,
    jittered_renewal_time,
    renewal_time,
    stable_fraction,
    time_within_window,
)
from certpilot.pki.keys import encode_private_key
from certpilot.testing.builders import certificate, ec_key, issued_annotations, issued_secret, secret_tls

T0 = datetime(2030, 1, 1, tzinfo=UTC)
EC = CertificatePrivateKey(algorithm=PrivateKeyAlgorithm.ECDSA, size=256)
CERT = certificate("web", private_key=EC)


def test_a_certificate_under_ten_days_renews_at_half_its_lifetime() -> None:
    # certbot's rule: 6 days (Let's Encrypt's shortlived profile) renews after 3, 160 hours after 80.
    assert renewal_time(T0, T0 + timedelta(days=6)) == T0 + timedelta(days=3)
    assert renewal_time(T0, T0 + timedelta(hours=160)) == T0 + timedelta(hours=80)
    assert renewal_time(T0, T0 + timedelta(minutes=2)) == T0 + timedelta(minutes=1)
    # Ten days and more keep cert-manager's two thirds.
    assert renewal_time(T0, T0 + timedelta(days=10)) == T0 + timedelta(days=10) * 2 / 3


def test_the_spec_still_decides_for_a_short_lived_certificate() -> None:
    assert renewal_time(T0, T0 + timedelta(days=6), timedelta(days=1)) == T0 + timedelta(days=5)
    assert renewal_time(T0, T0 + timedelta(hours=1), None, 25) == T0 + timedelta(minutes=45)


def test_a_short_lived_certificate_renewed_on_time_is_never_without_a_valid_one() -> None:
    # A fake clock runs a 2-minute certificate through 50 renewals: each new one is issued at
    # its predecessor's renewal time (jitter included), which lies inside the predecessor's life.
    not_before, lifetime = T0, timedelta(minutes=2)
    for serial in range(50):
        not_after = not_before + lifetime
        due = jittered_renewal_time(
            renewal_time(not_before, not_after),
            not_before,
            not_after,
            stable_fraction(f"ns/web/uid/{serial}"),
        )
        assert not_before <= due < not_after
        not_before = due


def test_jitter_spreads_a_thousand_certificates_due_at_one_instant() -> None:
    not_before, not_after = T0, T0 + timedelta(days=90)
    due = renewal_time(not_before, not_after)
    times = [
        jittered_renewal_time(due, not_before, not_after, stable_fraction(f"default/web-{n}/uid-{n}/{n:x}"))
        for n in range(1000)
    ]
    window = (not_after - due) * JITTER_SHARE
    assert all(due - window <= t <= due for t in times)
    assert max(times) - min(times) > window * 0.98
    buckets = Counter(int((due - t) / (window / 10)) for t in times)
    print("\nrenewals of 1000 certificates due at", due.isoformat(), "over the", window, "before it:")
    for bucket in range(10):
        bar = "#" * (buckets[bucket] // 4)
        print(f"  {bucket * 7.2:5.1f}h-{(bucket + 1) * 7.2:5.1f}h earlier {bar} {buckets[bucket]}")
    assert set(buckets) <= set(range(10))
    assert max(buckets.values()) <= 140 and min(buckets.values()) >= 60
    # Distinct instants: no two certificates share a second more than a handful of times.
    assert max(Counter(times).values()) <= 2


def test_the_jitter_never_makes_a_certificate_due_as_soon_as_it_is_issued() -> None:
    # renewBefore 59m56s of a 1h certificate: due 4 s in, and the jitter takes at most 0.4 s of it.
    due = renewal_time(T0, T0 + timedelta(hours=1), timedelta(minutes=59, seconds=56))
    assert jittered_renewal_time(due, T0, T0 + timedelta(hours=1), 0.999) >= T0 + timedelta(seconds=3)


def test_the_jitter_is_the_same_after_a_restart_and_new_at_each_renewal() -> None:
    cert = certificate("web", private_key=EC)
    cert.metadata.uid = "uid-1"
    key = ec_key()
    secret = issued_secret(cert, key, not_before=T0)
    first = PolicyInput(cert, secret, None, T0).renewal_time
    assert first == PolicyInput(cert, secret, None, T0 + timedelta(hours=1)).renewal_time
    renewed = issued_secret(cert, key, not_before=T0)
    assert PolicyInput(cert, renewed, None, T0).renewal_time != first


def _ca(name: str = "rotation CA") -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(T0 - timedelta(days=1))
        .not_valid_after(T0 + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(
    ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate], serial: int, lifetime: timedelta
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    ca_key, ca_cert = ca
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(T0)
        .not_valid_after(T0 + lifetime)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("web.example.com")]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def test_certificate_id_is_the_one_the_acme_library_computes() -> None:
    ca = _ca()
    for serial in (1, 127, 128, 255, 256, 0x87654321, x509.random_serial_number()):
        _, leaf = _leaf(ca, serial, timedelta(days=90))
        assert certificate_id(leaf) == _renewal_info_path_component(leaf)
    # RFC 9773 4.1's example serial 0x87654321 needs a leading zero byte (sign bit): "AIdlQyE".
    _, leaf = _leaf(ca, 0x87654321, timedelta(days=90))
    assert certificate_id(leaf).endswith(".AIdlQyE")


def test_retry_after_is_honoured_within_bounds() -> None:
    assert next_poll_after(None, T0) == T0 + DEFAULT_POLL_INTERVAL
    assert next_poll_after(21600, T0) == T0 + timedelta(hours=6)
    assert next_poll_after(0, T0) == T0 + timedelta(minutes=1)
    assert next_poll_after(10**9, T0) == T0 + timedelta(days=1)


def _secret_with(
    leaf_key: ec.EllipticCurvePrivateKey, leaf: x509.Certificate, annotations: dict[str, str]
) -> Secret:
    from cryptography.hazmat.primitives.serialization import Encoding

    secret = secret_tls("web", cert_pem=leaf.public_bytes(Encoding.PEM), key_pem=encode_private_key(leaf_key))
    secret.metadata.annotations = {**issued_annotations(CERT), **annotations}
    return secret


def test_an_ari_window_sets_the_renewal_instant_once_per_serial() -> None:
    cert = CERT
    key, leaf = _leaf(_ca(), 4242, timedelta(days=90))
    start, end = T0 + timedelta(days=70), T0 + timedelta(days=72)
    ari = {
        ann.ARI_CERT_ID: certificate_id(leaf),
        ann.ARI_WINDOW_START: start.isoformat(),
        ann.ARI_WINDOW_END: end.isoformat(),
    }
    due = PolicyInput(cert, _secret_with(key, leaf, ari), None, T0).renewal_time
    assert due is not None and start <= due < end
    # Another process, later: the same instant.
    assert PolicyInput(cert, _secret_with(key, leaf, ari), None, T0 + timedelta(days=1)).renewal_time == due
    assert due == time_within_window(start, end, stable_fraction(f"default/web/None/{4242:x}"))


def test_an_ari_window_in_the_past_renews_now_and_a_stale_one_is_ignored() -> None:
    cert = CERT
    ca = _ca()
    key, leaf = _leaf(ca, 4242, timedelta(days=90))
    past = {
        ann.ARI_CERT_ID: certificate_id(leaf),
        ann.ARI_WINDOW_START: (T0 - timedelta(days=2)).isoformat(),
        ann.ARI_WINDOW_END: (T0 - timedelta(days=1)).isoformat(),
    }
    renewing = needs_issuance(PolicyInput(cert, _secret_with(key, leaf, past), None, T0 + timedelta(hours=1)))
    assert renewing is not None and renewing.reason == reasons.RENEWING
    # A window recorded for the previous certificate does not apply to this one.
    _, other = _leaf(ca, 4243, timedelta(days=90))
    stale = {**past, ann.ARI_CERT_ID: certificate_id(other)}
    due = PolicyInput(cert, _secret_with(key, leaf, stale), None, T0).renewal_time
    assert due is not None and due > T0 + timedelta(days=50)


def test_a_leaf_of_a_rotated_ca_renews_within_the_rotation_spread() -> None:
    cert = CERT
    old_ca = _ca()
    key, leaf = _leaf(old_ca, 99, timedelta(days=90))
    secret = _secret_with(key, leaf, {})
    assert signed_by(leaf, old_ca[1])
    unchanged = PolicyInput(cert, secret, None, T0, issuer_ca=old_ca[1]).renewal_time
    assert unchanged is not None and unchanged > T0 + timedelta(days=50)
    new_ca = _ca()  # same name, new key: notBefore T0 - 1d
    assert not signed_by(leaf, new_ca[1])
    due = PolicyInput(cert, secret, None, T0, issuer_ca=new_ca[1]).renewal_time
    # From the later of the leaf's and the new CA's notBefore, within an hour.
    assert due is not None and T0 <= due <= T0 + timedelta(hours=1)
    renewing = needs_issuance(PolicyInput(cert, secret, None, T0 + timedelta(hours=1), issuer_ca=new_ca[1]))
    assert renewing is not None and renewing.reason == reasons.RENEWING


def test_the_ca_key_is_compared_by_identifier_and_by_signature_without_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """signed_by compares key identifiers when both certificates carry them (no signature check on
    every restart), and verifies the signature when they do not."""
    ca_key, ca_cert = _ca()
    _, leaf = _leaf((ca_key, ca_cert), 7, timedelta(days=90))
    verified: list[x509.Certificate] = []
    real_verify = x509.Certificate.verify_directly_issued_by

    def counting(self: x509.Certificate, issuer: x509.Certificate) -> None:
        verified.append(self)
        real_verify(self, issuer)

    monkeypatch.setattr(x509.Certificate, "verify_directly_issued_by", counting)
    assert signed_by(leaf, ca_cert) and verified == []
    bare_leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(ca_cert.subject)
        .public_key(ec.generate_private_key(ec.SECP256R1()).public_key())
        .serial_number(8)
        .not_valid_before(T0)
        .not_valid_after(T0 + timedelta(days=90))
        .sign(ca_key, hashes.SHA256())
    )
    assert signed_by(bare_leaf, ca_cert) and verified == [bare_leaf]
    assert not signed_by(bare_leaf, _ca()[1])
