"""ACME Renewal Information (RFC 9773) and profiles against pebble 2.10.1, through the daemon."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from certpilot.acme.client_errors import AcmeError
from certpilot.acme.renewal_info import certificate_id
from certpilot.api import annotations as ann
from certpilot.api.certificate import Certificate
from certpilot.api.core import Secret
from certpilot.api.issuer import Issuer
from certpilot.issuers.acme_account import client_for
from certpilot.pki.csr import build_csr, csr_to_pem
from certpilot.testing.builders import ec_key
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.acme_issuance.issuance_harness import (
    NAMESPACE,
    Daemon,
    acme_issuer,
    certificate,
    chain_of,
    condition_is,
)

StartDaemon = Callable[..., Awaitable[Daemon]]
DAY = 86400


@pytest.fixture
def modern(pebble_factory: Callable[..., PebbleServer], modern_pebble: Path) -> PebbleServer:
    return pebble_factory(
        "modern", binary=str(modern_pebble / "pebble"), profiles={"default": 90 * DAY, "shortlived": 6 * DAY}
    )


def leaf_of(secret: Secret) -> x509.Certificate:
    return x509.load_pem_x509_certificate(chain_of(secret))


def set_renewal_window(pebble: PebbleServer, leaf: x509.Certificate, start: datetime, end: datetime) -> None:
    """pebble's management API: answer renewalInfo for `leaf` with this window from now on."""
    window = {"suggestedWindow": {"start": start.isoformat(), "end": end.isoformat()}}
    response = requests.post(
        f"{pebble.management_url}/set-renewal-info/",
        json={"Certificate": leaf.public_bytes(Encoding.PEM).decode(), "ARIResponse": json.dumps(window)},
        verify=str(pebble.ca_bundle_path),
        timeout=10,
    )
    response.raise_for_status()


def has_ari_for(leaf: x509.Certificate) -> Callable[[Secret], bool]:
    return lambda s: (s.metadata.annotations or {}).get(ann.ARI_CERT_ID) == certificate_id(leaf)


def renewal_time_within(start: datetime, end: datetime) -> Callable[[Certificate], bool]:
    return lambda c: (
        c.status is not None and c.status.renewal_time is not None and start <= c.status.renewal_time < end
    )


async def poll_again_now(daemon: Daemon, name: str) -> None:
    """As if the CA's Retry-After had run out: the stored next poll moves into the past."""
    secret = await daemon.get(Secret, name)
    assert secret is not None
    updated = secret.model_copy(deep=True)
    updated.metadata.annotations = {
        **(updated.metadata.annotations or {}),
        ann.ARI_NEXT_POLL: (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
    }
    await daemon.store.update(updated)


async def replace_by_hand(daemon: Daemon, issuer: Issuer, leaf: x509.Certificate) -> int | None:
    """An order from the issuer's own account replacing `leaf`: the HTTP status of the refusal
    (409 for alreadyReplaced), None when pebble takes it."""
    client = await client_for(issuer, NAMESPACE, daemon.store, 10)
    csr = csr_to_pem(build_csr(certificate("probe", ["ari.example.test"]).spec, ec_key()))
    try:
        await asyncio.to_thread(client.new_order, csr, replaces=certificate_id(leaf))
    except AcmeError as error:
        return error.status
    return None


async def renewed(
    daemon: Daemon, name: str, old: x509.Certificate, within_seconds: float = 90
) -> x509.Certificate:
    secret = await daemon.wait_for(
        Secret, name, lambda s: leaf_of(s).serial_number != old.serial_number, within_seconds=within_seconds
    )
    return leaf_of(secret)


async def test_ari_window_in_the_past_renews_now_with_replaces(
    daemons: StartDaemon, modern: PebbleServer
) -> None:
    daemon = await daemons()
    await daemon.create(acme_issuer(modern, profile="default"))
    issuer = await daemon.wait_for(Issuer, "acme", condition_is("Ready", "True"))
    await daemon.create(certificate("ari", ["ari.example.test"]))
    await daemon.wait_ready("ari")
    first = leaf_of(await daemon.get(Secret, "ari-tls"))  # type: ignore[arg-type]

    # The controller asks pebble, stores the window, and honours its Retry-After (six hours).
    secret = await daemon.wait_for(Secret, "ari-tls", has_ari_for(first))
    notes = secret.metadata.annotations or {}
    start = datetime.fromisoformat(notes[ann.ARI_WINDOW_START])
    end = datetime.fromisoformat(notes[ann.ARI_WINDOW_END])
    next_poll = datetime.fromisoformat(notes[ann.ARI_NEXT_POLL])
    assert first.not_valid_before_utc < start < end < first.not_valid_after_utc
    assert timedelta(hours=5, minutes=59) < next_poll - datetime.now(UTC) <= timedelta(hours=6)
    # Until the readiness controller sees the Secret's new annotations, renewalTime is still the
    # renewBefore rule's; it must then move inside the window.
    await daemon.wait_for(Certificate, "ari", renewal_time_within(start, end))

    # The CA moves the window into the past: certpilot renews now, naming the old certificate.
    now = datetime.now(UTC)
    set_renewal_window(modern, first, now - timedelta(hours=2), now - timedelta(hours=1))
    await poll_again_now(daemon, "ari-tls")
    second = await renewed(daemon, "ari-tls", first)
    # pebble took the renewal order as the replacement of the first certificate: it refuses another.
    assert await replace_by_hand(daemon, issuer, first) == 409

    # A Secret restored from a backup holds a certificate pebble has already seen replaced: the
    # renewal order naming it gets 409 alreadyReplaced, and certpilot orders again without it.
    backup = await daemon.wait_for(Secret, "ari-tls", has_ari_for(second))
    now = datetime.now(UTC)
    set_renewal_window(modern, second, now - timedelta(hours=2), now - timedelta(hours=1))
    await poll_again_now(daemon, "ari-tls")
    third = await renewed(daemon, "ari-tls", second)
    assert await replace_by_hand(daemon, issuer, second) == 409
    current = await daemon.get(Secret, "ari-tls")
    assert current is not None
    restored = backup.model_copy(deep=True)
    restored.metadata.resource_version = current.metadata.resource_version
    restored.metadata.annotations = {
        **(restored.metadata.annotations or {}),
        ann.ARI_WINDOW_START: (now - timedelta(hours=2)).isoformat(),
        ann.ARI_WINDOW_END: (now - timedelta(hours=1)).isoformat(),
    }
    await daemon.store.update(restored)
    fourth = await renewed(daemon, "ari-tls", second)
    assert fourth.serial_number != third.serial_number


async def test_renewal_information_source_none_asks_nothing(
    daemons: StartDaemon, modern: PebbleServer
) -> None:
    daemon = await daemons()
    await daemon.create(
        acme_issuer(modern, name="no-ari", profile="default", renewalInformationSource="None")
    )
    await daemon.create(certificate("plain", ["plain.example.test"], issuer="no-ari"))
    cert = await daemon.wait_ready("plain")
    secret = await daemon.get(Secret, "plain-tls")
    assert secret is not None
    assert not set(secret.metadata.annotations or {}) & set(ann.ARI_ANNOTATIONS)
    leaf = leaf_of(secret)
    # The renewBefore rule: two thirds of 90 days, moved earlier by at most 3 days of jitter.
    due = leaf.not_valid_before_utc + (leaf.not_valid_after_utc - leaf.not_valid_before_utc) * 2 / 3
    assert cert.status is not None and cert.status.renewal_time is not None
    assert due - timedelta(days=3, seconds=1) <= cert.status.renewal_time <= due


async def test_shortlived_profile_issues_a_six_day_certificate(
    daemons: StartDaemon, modern: PebbleServer
) -> None:
    daemon = await daemons()
    await daemon.create(acme_issuer(modern, name="short", profile="shortlived"))
    await daemon.create(certificate("short", ["short.example.test"], issuer="short"))
    await daemon.wait_ready("short")
    secret = await daemon.get(Secret, "short-tls")
    assert secret is not None
    leaf = leaf_of(secret)
    # pebble's validityPeriod counts both ends inclusively.
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert timedelta(days=6) - timedelta(seconds=1) <= lifetime <= timedelta(days=6)


async def test_an_unknown_profile_makes_the_issuer_not_ready(
    daemons: StartDaemon, modern: PebbleServer
) -> None:
    daemon = await daemons()
    await daemon.create(acme_issuer(modern, name="bogus", profile="forever"))
    issuer = await daemon.wait_for(Issuer, "bogus", condition_is("Ready", "False", "InvalidConfig"))
    assert issuer.status is not None and issuer.status.conditions
    message = issuer.status.conditions[0].message or ""
    assert "'forever' is not offered" in message and "default, shortlived" in message


@pytest.mark.timeout(300)
async def test_a_two_minute_certificate_is_renewed_at_half_its_life_with_no_gap(
    daemons: StartDaemon, pebble_factory: Callable[..., PebbleServer], modern_pebble: Path
) -> None:
    """A real 2-minute certificate (a pebble profile; a Certificate's duration has a 1h minimum)
    renews at half its life, by the short-lived rule (ARI off), before the old one expires; the
    renewed one is then scheduled the same way. Renewal after renewal, for hours, is
    test_renewal_over_fake_time's (a fake clock): here each one would cost a real minute."""
    brief = pebble_factory("two-minutes", binary=str(modern_pebble / "pebble"), profiles={"brief": 120})
    daemon = await daemons()
    await daemon.create(acme_issuer(brief, name="brief", profile="brief", renewalInformationSource="None"))
    await daemon.create(certificate("brief", ["brief.example.test"], issuer="brief"))
    first = leaf_of(await daemon.wait_for(Secret, "brief-tls", lambda s: bool(s.get_data("tls.crt"))))
    second = await renewed(daemon, "brief-tls", first, within_seconds=120)
    assert first.not_valid_after_utc - first.not_valid_before_utc <= timedelta(minutes=2)
    assert second.not_valid_before_utc <= first.not_valid_after_utc
    # Renewed at half its life (less up to 6 s of jitter), plus the issuance's own seconds.
    assert (
        timedelta(seconds=50)
        <= second.not_valid_before_utc - first.not_valid_before_utc
        <= timedelta(seconds=75)
    )

    def schedules(leaf: x509.Certificate) -> Callable[[Certificate], bool]:
        return lambda c: c.status is not None and c.status.not_before == leaf.not_valid_before_utc

    cert = await daemon.wait_for(Certificate, "brief", schedules(second))
    assert cert.status is not None and cert.status.renewal_time is not None
    half_life = second.not_valid_before_utc + (second.not_valid_after_utc - second.not_valid_before_utc) / 2
    assert half_life - timedelta(seconds=7) <= cert.status.renewal_time <= half_life
