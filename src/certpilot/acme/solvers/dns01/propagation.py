"""The DNS-01 self-check: do the zone's authoritative nameservers all serve the expected TXT value yet?

Which servers are asked:

* `recursive_nameservers` (`--dns01-recursive-nameservers`, `host:port` each; the system resolver's
  servers from /etc/resolv.conf when empty) answer every look-up: CNAMEs, the zone's SOA and NS, and the
  addresses of its NS hosts.
* With `recursive_only` (`--dns01-recursive-nameservers-only`), the TXT value is checked at those servers
  themselves, and the zone's NS records are not used.
* Otherwise it is checked at every address of every NS host of the zone. An NS address equal to one of
  the recursive nameservers' hosts is asked on that server's port; any other on port 53. This is how a
  test (or a split-horizon setup) with an authoritative server on a high port is checked: list it as a
  recursive nameserver and its own NS records then point back at it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dns.message
import dns.rcode
import dns.resolver

from certpilot.acme.solvers.dns01.errors import Dns01Error
from certpilot.acme.solvers.dns01.lookup import (
    addresses_of,
    ask,
    find_zone,
    follow_cnames,
    nameserver_names,
    txt_values,
)
from certpilot.acme.solvers.dns01.names import DNS_PORT, NameserverAddress, absolute, parse_nameserver


@dataclass(frozen=True)
class PropagationResult:
    ok: bool
    reason: str  # why it is not propagated yet, for the Challenge's status.reason; empty when ok


def port_for_authoritative_server(address: str, recursive: Sequence[NameserverAddress]) -> int:
    """The port to ask an NS address on: a recursive nameserver's port when it is the same host, else 53."""
    return next((server.port for server in recursive if server.host == address), DNS_PORT)


def system_nameservers() -> list[NameserverAddress]:
    """The servers of /etc/resolv.conf (none when it is missing: every check then says so)."""
    try:
        resolver = dns.resolver.Resolver()
    except dns.resolver.NoResolverConfiguration:
        return []
    return [NameserverAddress(str(ns), DNS_PORT) for ns in resolver.nameservers]


async def txt_record_propagated(
    fqdn: str,
    value: str,
    recursive_nameservers: Sequence[str] = (),
    recursive_only: bool = False,
    follow_cname: bool = False,
) -> PropagationResult:
    """Whether every server that matters (see the module doc) serves `value` at `fqdn` now."""
    recursive = [parse_nameserver(s) for s in recursive_nameservers] or system_nameservers()
    try:
        name = await follow_cnames(fqdn, recursive) if follow_cname else absolute(fqdn)
        checked = recursive if recursive_only else await authoritative_servers(name, recursive)
        for server in checked:
            reason = txt_missing_reason(await ask(server, txt_query(name)), server, name, value)
            if reason:
                return PropagationResult(False, reason)
    except Dns01Error as err:
        return PropagationResult(False, f"DNS record for {fqdn} not yet propagated: {err}")
    return PropagationResult(True, "")


async def authoritative_servers(name: str, recursive: Sequence[NameserverAddress]) -> list[NameserverAddress]:
    zone = await find_zone(name, recursive)
    hosts = await nameserver_names(zone, recursive)
    if not hosts:
        raise Dns01Error(f"zone {zone} has no NS records at {', '.join(map(str, recursive))}")
    servers = []
    for host in hosts:
        addresses = await addresses_of(host, recursive)
        if not addresses:
            raise Dns01Error(f"nameserver {host} of zone {zone} has no A/AAAA record")
        servers += [NameserverAddress(a, port_for_authoritative_server(a, recursive)) for a in addresses]
    return servers


def txt_query(name: str) -> dns.message.Message:
    return dns.message.make_query(absolute(name), "TXT")


def txt_missing_reason(
    response: dns.message.Message, server: NameserverAddress, name: str, value: str
) -> str:
    """Why `response` from `server` does not show `value` at `name`, or "" when it does."""
    if response.rcode() != dns.rcode.NOERROR:
        return f"nameserver {server} answered {dns.rcode.to_text(response.rcode())} for TXT {name}"
    values = txt_values(response, name)
    if value in values:
        return ""
    return (
        f"nameserver {server} does not serve the expected TXT value at {name} yet "
        f"({len(values)} other value(s) there); waiting for the DNS provider to publish it"
    )
