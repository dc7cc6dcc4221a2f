"""What the Azure, Cloud DNS and Akamai stand-in tests share: requests built the way the Challenge
controller builds them (registry, provider block, Secrets), and the checks every provider must pass.
The BIND peer and the endpoint variables are fixtures of tests/dns_standin_fixtures.py."""

from __future__ import annotations

from collections.abc import Mapping

from certpilot.acme.solvers.dns01.lookup import challenge_target
from certpilot.acme.solvers.dns01.names import parse_nameserver
from certpilot.acme.solvers.dns01.provider import Dns01Provider, Dns01Request
from certpilot.acme.solvers.dns01.registry import ProviderSettings, provider_for
from certpilot.api.acme_issuer import ACMEChallengeSolverDNS01
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.dns_standins.peers import DnsProviderPeer


def provider_of(
    peer: DnsProviderPeer, config: Mapping[str, object] | None = None
) -> tuple[Dns01Provider, object]:
    """The registry's provider for the peer's solver block (or `config` in its place), and the block."""
    dns01 = ACMEChallengeSolverDNS01.model_validate({peer.name: dict(config or peer.solver_config())})
    choice = provider_for(dns01, ProviderSettings(webhook_urls={}))
    return choice.provider, choice.config


def request_for(
    peer: DnsProviderPeer,
    fqdn: str,
    value: str,
    zone: str | None = None,
    secrets: Mapping[str, Mapping[str, bytes]] | None = None,
    config: Mapping[str, object] | None = None,
) -> tuple[Dns01Provider, Dns01Request]:
    provider, block = provider_of(peer, config)
    held = secrets if secrets is not None else peer.secrets()

    async def get_secret_value(name: str, key: str) -> bytes:
        return held[name][key]

    request = Dns01Request(
        dns_name=fqdn.removeprefix("_acme-challenge.").rstrip("."),
        fqdn=fqdn,
        zone=zone,
        value=value,
        config=block,  # type: ignore[arg-type]
        get_secret_value=get_secret_value,
    )
    return provider, request


async def cname_target(bind: BindServer, dns_name: str) -> tuple[str, str]:
    """Where cnameStrategy Follow puts the TXT record for `dns_name`, and its zone (asked of BIND)."""
    return await challenge_target(dns_name, True, [parse_nameserver(bind.address)])


async def check_present_is_idempotent_and_cleanup_removes_only_its_value(
    peer: DnsProviderPeer, bind: BindServer, fqdn: str
) -> None:
    """Present, present again, a second value under the name, cleanup of each, cleanup of an absent one:
    the vendor side and BIND (through the stand-in's write-through) agree at every step."""
    provider, first = request_for(peer, fqdn, "first-value")
    _, second = request_for(peer, fqdn, "second-value")
    await provider.present(first)
    await provider.present(first)
    assert peer.txt_values(fqdn) == {"first-value"}
    assert bind.query_txt(fqdn) == ["first-value"]
    await provider.present(second)
    assert peer.txt_values(fqdn) == {"first-value", "second-value"}
    assert bind.query_txt(fqdn) == ["first-value", "second-value"]
    await provider.cleanup(first)
    assert peer.txt_values(fqdn) == {"second-value"}
    assert bind.query_txt(fqdn) == ["second-value"]
    await provider.cleanup(first)  # already gone: a no-op
    await provider.cleanup(second)
    assert peer.txt_values(fqdn) == set()
    assert bind.query_txt(fqdn) == []


async def check_zone_is_discovered(peer: DnsProviderPeer, bind: BindServer, zone: str | None) -> None:
    """Handed `zone` (None, or the parent of the zone really holding the name), the provider writes into
    the closest zone the vendor hosts: the sub-zone."""
    fqdn = "_acme-challenge.www.sub.example.test."
    provider, request = request_for(peer, fqdn, "sub-zone-value", zone=zone)
    await provider.present(request)
    assert peer.txt_values(fqdn) == {"sub-zone-value"}
    assert bind.query_txt(fqdn) == ["sub-zone-value"]
    await provider.cleanup(request)
    assert bind.query_txt(fqdn) == []


async def check_cname_target_gets_the_value(peer: DnsProviderPeer, bind: BindServer) -> None:
    """With cnameStrategy Follow the record goes where the CNAME of _acme-challenge.alias points,
    in another zone of the same vendor."""
    fqdn, zone = await cname_target(bind, "alias.example.test")
    assert (fqdn, zone) == ("_acme-challenge.alias.other.test.", "other.test.")
    provider, request = request_for(peer, fqdn, "cname-value", zone=zone)
    await provider.present(request)
    assert peer.txt_values(fqdn) == {"cname-value"}
    assert bind.query_txt(fqdn) == ["cname-value"]
    await provider.cleanup(request)
    assert peer.txt_values(fqdn) == set()


async def check_propagation_check_sees_the_value(peer: DnsProviderPeer, bind: BindServer) -> None:
    from certpilot.acme.solvers.dns01.propagation import txt_record_propagated

    fqdn = "_acme-challenge.propagated.example.test."
    provider, request = request_for(peer, fqdn, "propagated-value", zone="example.test.")
    before = await txt_record_propagated(fqdn, "propagated-value", [bind.address])
    assert not before.ok
    await provider.present(request)
    after = await txt_record_propagated(fqdn, "propagated-value", [bind.address])
    assert after.ok, after.reason
    await provider.cleanup(request)


def wrong_secrets(peer: DnsProviderPeer, replacement: bytes) -> dict[str, dict[str, bytes]]:
    """The peer's Secrets with every value replaced."""
    return {name: dict.fromkeys(keys, replacement) for name, keys in peer.secrets().items()}


def secret_values(peer: DnsProviderPeer) -> list[str]:
    return [value.decode() for keys in peer.secrets().values() for value in keys.values()]
