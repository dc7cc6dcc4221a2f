"""The DNS-01 self-check and CNAME following, against a real BIND 9 on a high port."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from certpilot.acme.solvers.dns01.lookup import challenge_target
from certpilot.acme.solvers.dns01.names import parse_nameserver
from certpilot.acme.solvers.dns01.propagation import PropagationResult, txt_record_propagated
from certpilot.acme.solvers.dns01.provider import Dns01Request
from certpilot.acme.solvers.dns01.rfc2136 import RFC2136Provider
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderRFC2136
from certpilot.testing.peers.bind import BindServer

pytestmark = pytest.mark.peers
MakeConfig = Callable[..., ACMEIssuerDNS01ProviderRFC2136]
MakeRequest = Callable[..., Dns01Request]
provider = RFC2136Provider()


async def test_check_passes_once_presented_at_the_given_servers(
    bind: BindServer, make_config: MakeConfig, make_request: MakeRequest
) -> None:
    fqdn = "_acme-challenge.prop.example.test."
    before = await txt_record_propagated(fqdn, "prop-value", [bind.address], recursive_only=True)
    assert not before.ok
    assert "does not serve the expected TXT value" in before.reason
    assert bind.address in before.reason
    await provider.present(make_request(bind, fqdn, "prop-value", make_config(bind)))
    after = await txt_record_propagated(fqdn, "prop-value", [bind.address], recursive_only=True)
    assert after == PropagationResult(True, "")


async def test_check_asks_the_zones_authoritative_servers(
    bind: BindServer, make_config: MakeConfig, make_request: MakeRequest
) -> None:
    """Not recursive-only: the zone's NS (ns1.example.test → 127.0.0.1) is asked on the listed port."""
    fqdn = "_acme-challenge.auth.example.test."
    assert not (await txt_record_propagated(fqdn, "auth-value", [bind.address])).ok
    await provider.present(make_request(bind, fqdn, "auth-value", make_config(bind)))
    assert (await txt_record_propagated(fqdn, "auth-value", [bind.address])).ok
    other_value = await txt_record_propagated(fqdn, "another-value", [bind.address])
    assert not other_value.ok
    assert "1 other value(s)" in other_value.reason


async def test_cname_follow_presents_and_checks_at_the_target(
    bind: BindServer, make_config: MakeConfig, make_request: MakeRequest
) -> None:
    servers = [parse_nameserver(bind.address)]
    assert await challenge_target("alias.example.test", False, servers) == (
        "_acme-challenge.alias.example.test.",
        "example.test.",
    )
    fqdn, zone = await challenge_target("alias.example.test", True, servers)
    assert (fqdn, zone) == ("_acme-challenge.alias.other.test.", "other.test.")
    await provider.present(make_request(bind, fqdn, "cname-value", make_config(bind), zone=zone))
    assert bind.query_txt(fqdn) == ["cname-value"]
    original = "_acme-challenge.alias.example.test."
    assert (await txt_record_propagated(original, "cname-value", [bind.address], follow_cname=True)).ok
    not_followed = await txt_record_propagated(original, "cname-value", [bind.address], recursive_only=True)
    assert not not_followed.ok


async def test_unknown_zone_fails_with_an_actionable_reason(bind: BindServer) -> None:
    result = await txt_record_propagated("_acme-challenge.x.elsewhere.test.", "v", [bind.address])
    assert not result.ok
    assert "no zone found" in result.reason
