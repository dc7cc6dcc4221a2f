"""The azureDNS provider against a stand-in for Entra ID and the ARM DNS API (not the real service),
which writes through to a real BIND 9. Untested here: managed and workload identities (no Azure host)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from certpilot.acme.solvers.dns01.errors import (
    InvalidProviderConfig,
    ProviderApiError,
    ProviderCredentialsRejected,
    ZoneNotFound,
)
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.dns_standins.azuredns import AzureDnsStandin
from tests.e2e.dns01_providers.vendor_standin_checks import (
    check_cname_target_gets_the_value,
    check_present_is_idempotent_and_cleanup_removes_only_its_value,
    check_propagation_check_sees_the_value,
    check_zone_is_discovered,
    request_for,
    secret_values,
    wrong_secrets,
)

pytestmark = [pytest.mark.peers, pytest.mark.usefixtures("peer_environment")]


@pytest.fixture(scope="module")
def peer(standin_bind: BindServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AzureDnsStandin]:
    standin = AzureDnsStandin(standin_bind, tmp_path_factory.mktemp("azure")).start()
    try:
        yield standin
    finally:
        standin.stop()


async def test_present_twice_two_values_and_cleanup_of_one(
    peer: AzureDnsStandin, standin_bind: BindServer
) -> None:
    await check_present_is_idempotent_and_cleanup_removes_only_its_value(
        peer, standin_bind, "_acme-challenge.www.example.test."
    )


async def test_apex_record_set_is_named_at(peer: AzureDnsStandin, standin_bind: BindServer) -> None:
    await check_present_is_idempotent_and_cleanup_removes_only_its_value(peer, standin_bind, "other.test.")


@pytest.mark.parametrize("zone", [None, "example.test."])
async def test_zone_is_discovered_among_the_resource_groups_zones(
    peer: AzureDnsStandin,
    standin_bind: BindServer,
    zone: str | None,
) -> None:
    await check_zone_is_discovered(peer, standin_bind, zone)


async def test_cname_follow_writes_into_the_target_zone(
    peer: AzureDnsStandin, standin_bind: BindServer
) -> None:
    await check_cname_target_gets_the_value(peer, standin_bind)


async def test_propagation_check_sees_the_presented_value(
    peer: AzureDnsStandin, standin_bind: BindServer
) -> None:
    await check_propagation_check_sees_the_value(peer, standin_bind)


async def test_wrong_client_secret_names_the_secret_and_hides_it(peer: AzureDnsStandin) -> None:
    provider, request = request_for(
        peer, "_acme-challenge.bad.example.test.", "v", secrets=wrong_secrets(peer, b"not-the-secret")
    )
    with pytest.raises(ProviderCredentialsRejected, match=r"azuredns-credentials.*client-secret") as caught:
        await provider.present(request)
    assert "AADSTS7000215" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)
    for value in secret_values(peer):
        assert value not in str(caught.value)
    assert peer.txt_values("_acme-challenge.bad.example.test.") == set()


async def test_unknown_client_id_is_refused(peer: AzureDnsStandin) -> None:
    config = {**peer.solver_config(), "clientID": "00000000-0000-0000-0000-000000000000"}
    provider, request = request_for(peer, "_acme-challenge.bad.example.test.", "v", config=config)
    with pytest.raises(ProviderCredentialsRejected, match="AADSTS700016"):
        await provider.present(request)


async def test_unknown_resource_group_is_a_clear_error(peer: AzureDnsStandin) -> None:
    config = {**peer.solver_config(), "resourceGroupName": "no-such-group"}
    provider, request = request_for(peer, "_acme-challenge.x.example.test.", "v", config=config)
    with pytest.raises(ProviderApiError, match=r"HTTP 404.*no-such-group"):
        await provider.present(request)


async def test_zone_outside_the_resource_group_is_not_found(peer: AzureDnsStandin) -> None:
    provider, request = request_for(peer, "_acme-challenge.www.elsewhere.test.", "v")
    with pytest.raises(ZoneNotFound, match="resource group dns-rg"):
        await provider.present(request)


async def test_managed_identity_needs_ambient_credentials(peer: AzureDnsStandin) -> None:
    config = {k: v for k, v in peer.solver_config().items() if k not in ("clientID", "clientSecretSecretRef")}
    provider, request = request_for(peer, "_acme-challenge.mi.example.test.", "v", config=config)
    with pytest.raises(InvalidProviderConfig, match="ambient credentials are not allowed"):
        await provider.present(request)


async def test_secret_and_tokens_never_reach_the_logs(
    peer: AzureDnsStandin, standin_bind: BindServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider, request = request_for(peer, "_acme-challenge.logged.example.test.", "logged-value")
    await provider.present(request)
    await provider.cleanup(request)
    assert "_acme-challenge.logged" in caplog.text  # the SDK did log its requests
    for value in [*secret_values(peer), *peer.issued_tokens()]:
        assert value not in caplog.text
