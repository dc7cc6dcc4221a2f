"""The DNS-01 conformance suite, run for every provider peer: present, idempotent present, two values under
one name, cleanup (also of an absent value), propagation through BIND, zone discovery, cnameStrategy
Follow and refused credentials.

Each case drives the controllers' ChallengeSolving (record name + zone lookup at BIND, the provider,
the propagation self-check), as the Challenge controller does. The vendor side is a stand-in of the
vendor's API (not the real service; see certpilot.testing.peers.dns_standins) or, for Route53, moto's
server; both write what they hold through to a real BIND 9, which the lookups and self-check ask.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from certpilot.acme.solvers.dns01.errors import ProviderCredentialsRejected
from certpilot.acme.solvers.dns01.provider import Dns01Request
from certpilot.acme.solvers.dns01.registry import ProviderSettings, provider_for
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.dns_standins.peers import (
    StructuredSecretsPeer,
    UncheckedCredentialsPeer,
)
from tests.conformance.dns01.dns01_harness import (
    CNAME_DELEGATED,
    KEEPS_VALUES,
    ZONELESS,
    Solving,
    cname_target,
    dns_name,
    open_solving,
    running_peer,
    start_bind,
    txt_value,
    wrong_value,
)

pytestmark = [
    pytest.mark.peers,
    pytest.mark.skipif(
        shutil.which("named") is None, reason="BIND 9 (named) is not installed: apt-get install bind9"
    ),
]
PEER_IDS = (
    "route53",
    "cloudflare-token",
    "cloudflare-key",
    "digitalocean",
    "acmedns",
    "azuredns",
    "clouddns",
    "akamai",
)


@pytest.fixture(scope="module")
def bind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BindServer]:
    server = start_bind(tmp_path_factory.mktemp("bind"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module", params=PEER_IDS)
def peer_id(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def peer(peer_id: str, bind: BindServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from running_peer(peer_id, bind, tmp_path_factory.mktemp(peer_id))


@pytest.fixture
async def solving(
    peer: Any, bind: BindServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Solving]:
    for name, value in peer.environment().items():
        monkeypatch.setenv(name, value)
    solving = await open_solving(peer, bind, tmp_path, peer.secrets())
    try:
        yield solving
    finally:
        await solving.store.close()


def vendor_name(name: str) -> str:
    """Where the vendor holds the value for `name`: `_acme-challenge.<name>.`."""
    return f"_acme-challenge.{name}."


async def test_present_is_idempotent_and_cleanup_removes_the_value(
    solving: Solving, peer: Any, peer_id: str
) -> None:
    name, value = dns_name(peer_id, "present"), txt_value()
    challenge = solving.challenge(name, value)
    await solving.present(challenge)
    assert value in peer.txt_values(vendor_name(name))
    await solving.present(challenge)  # a retry changes nothing
    assert value in peer.txt_values(vendor_name(name))
    if peer.name not in KEEPS_VALUES:
        assert peer.txt_values(vendor_name(name)) == {value}
    await solving.cleanup(challenge)
    await solving.cleanup(challenge)  # cleanup is idempotent too
    if peer.name in KEEPS_VALUES:
        assert value in peer.txt_values(vendor_name(name))  # replaced by the next present only
    else:
        assert peer.txt_values(vendor_name(name)) == set()


async def test_two_values_share_a_name_and_cleanup_removes_only_its_own(
    solving: Solving, peer: Any, peer_id: str
) -> None:
    """An apex and a wildcard challenge both need `_acme-challenge.<name>` at once."""
    name = dns_name(peer_id, "pair")
    apex, wildcard = solving.challenge(name, txt_value()), solving.challenge(name, txt_value())
    await solving.present(apex)
    await solving.present(wildcard)
    assert peer.txt_values(vendor_name(name)) >= {apex.spec.key, wildcard.spec.key}
    await solving.wait_until_propagated(apex)
    await solving.wait_until_propagated(wildcard)
    await solving.cleanup(apex)
    if peer.name not in KEEPS_VALUES:
        assert peer.txt_values(vendor_name(name)) == {wildcard.spec.key}
    await solving.wait_until_propagated(wildcard)
    await solving.cleanup(wildcard)
    if peer.name not in KEEPS_VALUES:
        assert peer.txt_values(vendor_name(name)) == set()


async def test_cleanup_of_a_value_never_presented_changes_nothing(
    solving: Solving, peer: Any, peer_id: str
) -> None:
    name = dns_name(peer_id, "absent")
    await solving.cleanup(solving.challenge(name, txt_value()))  # nothing at the name at all
    kept = solving.challenge(name, txt_value())
    await solving.present(kept)
    await solving.cleanup(solving.challenge(name, txt_value()))
    assert kept.spec.key in peer.txt_values(vendor_name(name))
    await solving.cleanup(kept)


async def test_propagation_check_sees_the_value_through_bind(
    solving: Solving, peer: Any, peer_id: str
) -> None:
    challenge = solving.challenge(dns_name(peer_id, "propagated"), txt_value())
    assert not await solving.self_check_passes(challenge)
    await solving.present(challenge)
    await solving.wait_until_propagated(challenge)
    await solving.cleanup(challenge)
    if peer.name not in KEEPS_VALUES:
        assert challenge.spec.key not in peer.txt_values(vendor_name(challenge.spec.dns_name))


@pytest.mark.parametrize("given_zone", [None, "deep.discovery"], ids=["no-zone", "sub-zone"])
async def test_provider_finds_the_vendor_zone_itself(
    solving: Solving, peer: Any, peer_id: str, given_zone: str | None
) -> None:
    """Handed no zone, or a zone name the vendor does not have (DNS sees a delegation that the vendor
    account does not), the provider finds the closest zone the account holds."""
    if peer.name in ZONELESS:
        pytest.skip(f"{peer.name} has no zones: the account's subdomain is the only place values go")
    name = f"deep.{dns_name(peer_id, 'discovery')}"
    fqdn = vendor_name(name)
    zone = None if given_zone is None else f"{given_zone}.{peer_id}.{peer.zone}"
    block = solving.challenge(name, "x").spec.solver.dns01
    assert block is not None
    choice = provider_for(block, ProviderSettings(webhook_urls={}))
    request = Dns01Request(
        dns_name=name,
        fqdn=fqdn,
        zone=zone,
        value=txt_value(),
        config=choice.config,
        get_secret_value=solving.secret_value,
    )
    await choice.provider.present(request)
    assert request.value in peer.txt_values(fqdn)
    await choice.provider.cleanup(request)
    assert request.value not in peer.txt_values(fqdn)


async def test_cname_strategy_follow_puts_the_value_at_the_cname_target(
    solving: Solving, peer: Any, peer_id: str
) -> None:
    if peer.name in CNAME_DELEGATED:
        pytest.skip(f"{peer.name} always follows the CNAME to its account: the other cases cover it")
    name = dns_name(peer_id, "cname")
    challenge = solving.challenge(name, txt_value(), follow=True)
    await solving.present(challenge)
    assert challenge.spec.key in peer.txt_values(cname_target(peer_id))
    assert peer.txt_values(vendor_name(name)) == set()
    await solving.wait_until_propagated(challenge)
    await solving.cleanup(challenge)
    assert peer.txt_values(cname_target(peer_id)) == set()


async def test_refused_credentials_name_the_secret_and_never_show_it(
    peer: Any, peer_id: str, bind: BindServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if isinstance(peer, UncheckedCredentialsPeer):
        pytest.skip(peer.unchecked_credentials)
    right = peer.secrets()
    if isinstance(peer, StructuredSecretsPeer):
        wrong = peer.wrong_secrets()
    else:
        wrong = {name: {key: wrong_value(v) for key, v in data.items()} for name, data in right.items()}
    for name, value in peer.environment().items():
        monkeypatch.setenv(name, value)
    solving = await open_solving(peer, bind, tmp_path, wrong)
    name = dns_name(peer_id, "creds")
    try:
        with pytest.raises(ProviderCredentialsRejected) as caught:
            await solving.present(solving.challenge(name, txt_value()))
    finally:
        await solving.store.close()
    message = str(caught.value)
    for secret_name, data in right.items():
        assert f"Secret {secret_name!r}" in message
        for key in data:
            assert f"key {key!r}" in message
    shown = [*right.values(), *wrong.values()]
    for data in shown:
        for value in data.values():
            assert value.decode() not in message
    assert peer.txt_values(vendor_name(name)) == set()
