"""The akamai provider against a stand-in for the Edge DNS v2 API (not the real service) that verifies
EdgeGrid signatures from the shared client secret and writes through to a real BIND 9."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

import pytest

from certpilot.acme.solvers.dns01.errors import ProviderCredentialsRejected, ZoneNotFound
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.dns_standins.akamai import SECRET_NAME, AkamaiStandin
from tests.e2e.dns01_providers.vendor_standin_checks import (
    check_cname_target_gets_the_value,
    check_present_is_idempotent_and_cleanup_removes_only_its_value,
    check_propagation_check_sees_the_value,
    check_zone_is_discovered,
    request_for,
    secret_values,
)

pytestmark = [pytest.mark.peers, pytest.mark.usefixtures("peer_environment")]


@pytest.fixture(scope="module")
def peer(standin_bind: BindServer) -> Iterator[AkamaiStandin]:
    standin = AkamaiStandin(standin_bind).start()
    try:
        yield standin
    finally:
        standin.stop()


async def test_present_twice_two_values_and_cleanup_of_one(
    peer: AkamaiStandin, standin_bind: BindServer
) -> None:
    await check_present_is_idempotent_and_cleanup_removes_only_its_value(
        peer, standin_bind, "_acme-challenge.www.example.test."
    )


@pytest.mark.parametrize("zone", [None, "example.test."])
async def test_zone_is_the_closest_edge_dns_zone(
    peer: AkamaiStandin, standin_bind: BindServer, zone: str | None
) -> None:
    await check_zone_is_discovered(peer, standin_bind, zone)


async def test_cname_follow_writes_into_the_target_zone(
    peer: AkamaiStandin, standin_bind: BindServer
) -> None:
    await check_cname_target_gets_the_value(peer, standin_bind)


async def test_propagation_check_sees_the_presented_value(
    peer: AkamaiStandin, standin_bind: BindServer
) -> None:
    await check_propagation_check_sees_the_value(peer, standin_bind)


async def test_wrong_client_secret_fails_the_signature_check_without_showing_it(peer: AkamaiStandin) -> None:
    wrong = base64.b64encode(b"w" * 32)
    secrets = {SECRET_NAME: {**peer.secrets()[SECRET_NAME], "client-secret": wrong}}
    provider, request = request_for(peer, "_acme-challenge.bad.example.test.", "v", secrets=secrets)
    with pytest.raises(ProviderCredentialsRejected, match="The signature does not match") as caught:
        await provider.present(request)
    message = str(caught.value)
    assert "'akamai-credentials' key 'client-secret'" in message
    assert wrong.decode() not in message
    for value in secret_values(peer):
        assert value not in message
    assert peer.txt_values("_acme-challenge.bad.example.test.") == set()


async def test_unknown_access_token_is_refused(peer: AkamaiStandin) -> None:
    secrets = {SECRET_NAME: {**peer.secrets()[SECRET_NAME], "access-token": b"akab-not-issued"}}
    provider, request = request_for(peer, "_acme-challenge.bad.example.test.", "v", secrets=secrets)
    with pytest.raises(ProviderCredentialsRejected, match="Invalid authorization access token") as caught:
        await provider.present(request)
    assert "akab-not-issued" not in str(caught.value)


async def test_name_outside_every_zone_is_not_found(peer: AkamaiStandin) -> None:
    provider, request = request_for(peer, "_acme-challenge.www.elsewhere.test.", "v")
    with pytest.raises(ZoneNotFound, match=r"elsewhere.test"):
        await provider.present(request)


async def test_signing_material_never_reaches_the_logs(
    peer: AkamaiStandin, standin_bind: BindServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider, request = request_for(peer, "_acme-challenge.logged.example.test.", "logged-value")
    await provider.present(request)
    await provider.cleanup(request)
    assert "signing key" not in caplog.text
    assert "EG1-HMAC-SHA256" not in caplog.text
    for value in secret_values(peer):
        assert value not in caplog.text
