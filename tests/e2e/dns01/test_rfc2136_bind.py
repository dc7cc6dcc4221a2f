"""RFC2136 present / cleanup against a real BIND 9, with every TSIG algorithm, over UDP and TCP."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from certpilot.acme.solvers.dns01.errors import DnsUpdateNotAuthorized, DnsUpdateRefused, ZoneNotFound
from certpilot.acme.solvers.dns01.provider import Dns01Request
from certpilot.acme.solvers.dns01.rfc2136 import RFC2136Provider
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderRFC2136
from certpilot.api.meta import SecretKeySelector
from certpilot.testing.peers.bind import BindServer

pytestmark = pytest.mark.peers
MakeConfig = Callable[..., ACMEIssuerDNS01ProviderRFC2136]
MakeRequest = Callable[..., Dns01Request]
provider = RFC2136Provider()


@pytest.mark.parametrize("protocol", ["UDP", "TCP"])
async def test_present_then_cleanup_with_each_algorithm(
    bind_with_algorithm: BindServer, make_config: MakeConfig, make_request: MakeRequest, protocol: str
) -> None:
    server = bind_with_algorithm
    fqdn = f"_acme-challenge.{protocol.lower()}.example.test."
    request = make_request(server, fqdn, "value-1", make_config(server, protocol=protocol))
    await provider.present(request)
    assert server.query_txt(fqdn) == ["value-1"]
    await provider.present(request)  # idempotent: a retry changes nothing
    assert server.query_txt(fqdn) == ["value-1"]
    await provider.cleanup(request)
    assert server.query_txt(fqdn) == []


async def test_two_values_on_one_name_coexist_and_cleanup_removes_only_its_own(
    bind: BindServer, make_config: MakeConfig, make_request: MakeRequest
) -> None:
    fqdn = "_acme-challenge.both.example.test."
    apex = make_request(bind, fqdn, "apex-value", make_config(bind), zone="example.test.")
    wildcard = make_request(bind, fqdn, "wildcard-value", make_config(bind), zone="example.test.")
    await provider.present(apex)
    await provider.present(wildcard)
    assert bind.query_txt(fqdn) == ["apex-value", "wildcard-value"]
    await provider.cleanup(apex)
    assert bind.query_txt(fqdn) == ["wildcard-value"]
    await provider.cleanup(wildcard)
    assert bind.query_txt(fqdn) == []


async def test_wrong_secret_is_a_clear_badsig_error_without_the_secret(
    bind: BindServer, make_config: MakeConfig, make_request: MakeRequest
) -> None:
    config = make_config(bind, tsig_secret_secret_ref=SecretKeySelector(name="other", key="secret"))
    with pytest.raises(DnsUpdateNotAuthorized, match="BADSIG") as caught:
        await provider.present(make_request(bind, "_acme-challenge.bad.example.test.", "v", config))
    assert bind.unauthorised_secret not in str(caught.value)
    assert bind.tsig_secret not in str(caught.value)
    assert bind.query_txt("_acme-challenge.bad.example.test.") == []


async def test_unknown_key_name_is_a_clear_badkey_error(
    bind: BindServer, make_config: MakeConfig, make_request: MakeRequest
) -> None:
    config = make_config(bind, tsig_key_name="no-such-key")
    with pytest.raises(DnsUpdateNotAuthorized, match="BADKEY"):
        await provider.present(make_request(bind, "_acme-challenge.badkey.example.test.", "v", config))


async def test_unsigned_update_is_refused_with_a_hint(
    bind: BindServer, make_config: MakeConfig, make_request: MakeRequest
) -> None:
    config = make_config(bind, tsig_key_name=None, tsig_secret_secret_ref=None)
    with pytest.raises(DnsUpdateRefused, match="unsigned updates"):
        await provider.present(make_request(bind, "_acme-challenge.unsigned.example.test.", "v", config))


async def test_key_not_granted_by_update_policy_is_refused(
    bind: BindServer, make_config: MakeConfig, make_request: MakeRequest
) -> None:
    config = make_config(
        bind,
        tsig_key_name=bind.unauthorised_key_name,
        tsig_secret_secret_ref=SecretKeySelector(name="other", key="secret"),
    )
    with pytest.raises(DnsUpdateRefused, match=bind.unauthorised_key_name):
        await provider.present(make_request(bind, "_acme-challenge.ro.example.test.", "v", config))


async def test_name_outside_every_served_zone_says_no_zone_found(
    bind: BindServer, make_config: MakeConfig, make_request: MakeRequest
) -> None:
    with pytest.raises(ZoneNotFound, match=r"no zone found for _acme-challenge\.x\.elsewhere\.test"):
        await provider.present(
            make_request(bind, "_acme-challenge.x.elsewhere.test.", "v", make_config(bind))
        )
