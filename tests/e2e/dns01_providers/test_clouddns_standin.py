"""The cloudDNS provider against a stand-in for Google's token endpoint and the Cloud DNS v1 API (not the
real service), which writes through to a real BIND 9. Untested here: ambient Application Default
Credentials (no Google host)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from certpilot.acme.solvers.dns01.errors import (
    InvalidProviderConfig,
    ProviderApiError,
    ProviderCredentialsRejected,
    ZoneNotFound,
)
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.dns_standins.clouddns import SECRET_KEY, SECRET_NAME, CloudDnsStandin
from tests.e2e.dns01_providers.vendor_standin_checks import (
    check_cname_target_gets_the_value,
    check_present_is_idempotent_and_cleanup_removes_only_its_value,
    check_propagation_check_sees_the_value,
    check_zone_is_discovered,
    request_for,
    wrong_secrets,
)

pytestmark = [pytest.mark.peers, pytest.mark.usefixtures("peer_environment")]


@pytest.fixture(scope="module")
def peer(standin_bind: BindServer) -> Iterator[CloudDnsStandin]:
    standin = CloudDnsStandin(standin_bind).start()
    try:
        yield standin
    finally:
        standin.stop()


async def test_present_twice_two_values_and_cleanup_of_one(
    peer: CloudDnsStandin, standin_bind: BindServer
) -> None:
    await check_present_is_idempotent_and_cleanup_removes_only_its_value(
        peer, standin_bind, "_acme-challenge.www.example.test."
    )


@pytest.mark.parametrize("zone", [None, "example.test."])
async def test_zone_is_discovered_among_the_projects_managed_zones(
    peer: CloudDnsStandin,
    standin_bind: BindServer,
    zone: str | None,
) -> None:
    await check_zone_is_discovered(peer, standin_bind, zone)


async def test_hosted_zone_name_is_used_as_given(peer: CloudDnsStandin, standin_bind: BindServer) -> None:
    fqdn = "_acme-challenge.named.other.test."
    config = {**peer.solver_config(), "hostedZoneName": "other-test"}
    provider, request = request_for(peer, fqdn, "named-zone-value", config=config)
    await provider.present(request)
    assert standin_bind.query_txt(fqdn) == ["named-zone-value"]
    await provider.cleanup(request)
    assert peer.txt_values(fqdn) == set()


async def test_cname_follow_writes_into_the_target_zone(
    peer: CloudDnsStandin, standin_bind: BindServer
) -> None:
    await check_cname_target_gets_the_value(peer, standin_bind)


async def test_propagation_check_sees_the_presented_value(
    peer: CloudDnsStandin, standin_bind: BindServer
) -> None:
    await check_propagation_check_sees_the_value(peer, standin_bind)


async def test_key_signed_by_another_private_key_is_refused_without_showing_either(
    peer: CloudDnsStandin,
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = peer.service_account_key(private_key=other)
    secrets = {SECRET_NAME: {SECRET_KEY: json.dumps(forged).encode()}}
    provider, request = request_for(peer, "_acme-challenge.bad.example.test.", "v", secrets=secrets)
    with pytest.raises(ProviderCredentialsRejected, match=r"clouddns-credentials.*key.json") as caught:
        await provider.present(request)
    assert "Invalid JWT Signature" in str(caught.value)
    assert "PRIVATE KEY" not in str(caught.value)
    assert peer.txt_values("_acme-challenge.bad.example.test.") == set()


async def test_garbage_in_the_secret_is_a_config_error_naming_it(peer: CloudDnsStandin) -> None:
    secrets = wrong_secrets(peer, b"not json at all")
    provider, request = request_for(peer, "_acme-challenge.bad.example.test.", "v", secrets=secrets)
    with pytest.raises(InvalidProviderConfig, match=r"'clouddns-credentials' key 'key.json' is not a JSON"):
        await provider.present(request)


async def test_another_project_is_forbidden(peer: CloudDnsStandin) -> None:
    config = {**peer.solver_config(), "project": "someone-elses"}
    provider, request = request_for(peer, "_acme-challenge.x.example.test.", "v", config=config)
    with pytest.raises(ProviderCredentialsRejected, match="HTTP 403"):
        await provider.present(request)


async def test_unknown_hosted_zone_is_an_api_error(peer: CloudDnsStandin) -> None:
    config = {**peer.solver_config(), "hostedZoneName": "no-such-zone"}
    provider, request = request_for(peer, "_acme-challenge.x.example.test.", "v", config=config)
    with pytest.raises(ProviderApiError, match=r"HTTP 404.*no-such-zone"):
        await provider.present(request)


async def test_name_outside_every_managed_zone_is_not_found(peer: CloudDnsStandin) -> None:
    provider, request = request_for(peer, "_acme-challenge.www.elsewhere.test.", "v")
    with pytest.raises(ZoneNotFound, match="hostedZoneName"):
        await provider.present(request)


async def test_no_service_account_needs_ambient_credentials(peer: CloudDnsStandin) -> None:
    provider, request = request_for(
        peer, "_acme-challenge.x.example.test.", "v", config={"project": peer.project}
    )
    with pytest.raises(InvalidProviderConfig, match="ambient credentials are not allowed"):
        await provider.present(request)


async def test_key_and_tokens_never_reach_the_logs(
    peer: CloudDnsStandin, standin_bind: BindServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider, request = request_for(peer, "_acme-challenge.logged.example.test.", "logged-value")
    await provider.present(request)
    await provider.cleanup(request)
    assert "PRIVATE KEY" not in caplog.text
    for token in peer.issued_tokens():
        assert token not in caplog.text
