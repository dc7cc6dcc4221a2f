"""DNS look-ups DNS-01 needs (CNAME chains, the zone of a name, its nameservers), asked of given servers.

Every query goes to explicit `host:port` servers, never the system resolver behind the caller's back, so
they work against test servers on high ports and never leak queries elsewhere. dnspython's asyncio API
is used, so nothing blocks the event loop.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence

import dns.asyncquery
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

from certpilot.acme.solvers.dns01.errors import DnsServerUnreachable, ZoneNotFound
from certpilot.acme.solvers.dns01.names import (
    NameserverAddress,
    absolute,
    challenge_record_name,
    is_ip_address,
)

QUERY_TIMEOUT = 5.0
MAX_CNAME_HOPS = 16


async def ip_of(host: str) -> str:
    """`host` if it is an IP address, else its first address from the system resolver (a configured name)."""
    if is_ip_address(host):
        return host
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except OSError as err:
        raise DnsServerUnreachable(f"cannot resolve nameserver host {host!r}: {err}") from None
    return str(infos[0][4][0])


async def ask(server: NameserverAddress, query: dns.message.Message) -> dns.message.Message:
    """Send `query` to one server over UDP, retrying over TCP when the answer is truncated."""
    try:
        response, _ = await dns.asyncquery.udp_with_fallback(
            query, await ip_of(server.host), port=server.port, timeout=QUERY_TIMEOUT
        )
    except (dns.exception.Timeout, OSError) as err:
        raise DnsServerUnreachable(
            f"nameserver {server} did not answer: {err or type(err).__name__}"
        ) from None
    except dns.exception.DNSException as err:
        # A malformed packet, or one answering another query (a spoofing attempt looks the same).
        raise DnsServerUnreachable(
            f"nameserver {server} sent an unusable answer: {err or type(err).__name__}"
        ) from None
    return response


async def ask_any(servers: Sequence[NameserverAddress], name: str, rdtype: str) -> dns.message.Message:
    """The first answer any of `servers` gives for `name`/`rdtype`, trying them in order."""
    if not servers:
        raise DnsServerUnreachable("no nameservers configured to ask")
    query = dns.message.make_query(absolute(name), rdtype)
    failures = []
    for server in servers:
        try:
            return await ask(server, query)
        except DnsServerUnreachable as err:
            failures.append(str(err))
    raise DnsServerUnreachable("; ".join(failures))


def records(response: dns.message.Message, name: str, rdtype: str) -> list[str]:
    """The rdata (as text) of the answer records of `rdtype` owned by `name`."""
    owner = dns.name.from_text(absolute(name))
    wanted = dns.rdatatype.from_text(rdtype)
    return [
        rdata.to_text()
        for rrset in response.answer
        if rrset.name == owner and rrset.rdtype == wanted
        for rdata in rrset
    ]


def txt_values(response: dns.message.Message, name: str) -> set[str]:
    """The TXT values at `name` (each record's character-strings joined, as ACME servers read them)."""
    owner = dns.name.from_text(absolute(name))
    return {
        b"".join(rdata.strings).decode(errors="replace")
        for rrset in response.answer
        if rrset.name == owner and rrset.rdtype == dns.rdatatype.TXT
        for rdata in rrset
    }


async def follow_cnames(fqdn: str, servers: Sequence[NameserverAddress]) -> str:
    """Where `fqdn`'s CNAME chain ends (`fqdn` itself when it has no CNAME)."""
    name = absolute(fqdn)
    seen = {name}
    for _ in range(MAX_CNAME_HOPS):
        targets = records(await ask_any(servers, name, "CNAME"), name, "CNAME")
        if not targets:
            return name
        name = absolute(targets[0])
        if name in seen:
            raise ZoneNotFound(f"CNAME loop at {name}: fix the CNAME records of {fqdn}")
        seen.add(name)
    raise ZoneNotFound(f"CNAME chain of {fqdn} is longer than {MAX_CNAME_HOPS} hops")


async def find_zone(fqdn: str, servers: Sequence[NameserverAddress]) -> str:
    """The zone (absolute) holding `fqdn`: the closest parent with an SOA record at `servers`."""
    name: dns.name.Name = dns.name.from_text(absolute(fqdn))
    while name != dns.name.root:
        text = name.to_text()
        response = await ask_any(servers, text, "SOA")
        if response.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN) and records(response, text, "SOA"):
            return text.lower()
        name = name.parent()
    asked = ", ".join(str(s) for s in servers)
    raise ZoneNotFound(
        f"no zone found for {fqdn} at {asked}: no parent has an SOA record there; "
        "check the nameservers serve this domain"
    )


async def nameserver_names(zone: str, servers: Sequence[NameserverAddress]) -> list[str]:
    """The NS host names of `zone`, sorted."""
    return sorted(absolute(ns) for ns in records(await ask_any(servers, zone, "NS"), absolute(zone), "NS"))


async def addresses_of(host: str, servers: Sequence[NameserverAddress]) -> list[str]:
    """The A and AAAA addresses of `host` at `servers`."""
    found: list[str] = []
    for rdtype in ("A", "AAAA"):
        found += records(await ask_any(servers, host, rdtype), absolute(host), rdtype)
    return found


async def challenge_target(
    dns_name: str, follow_cname: bool, servers: Sequence[NameserverAddress]
) -> tuple[str, str]:
    """(fqdn, zone) where the TXT record for `dns_name` goes: `_acme-challenge.<name>.`, or the end of its
    CNAME chain when the solver's cnameStrategy is Follow, and the zone holding that name."""
    fqdn = challenge_record_name(dns_name)
    if follow_cname:
        fqdn = await follow_cnames(fqdn, servers)
    return fqdn, await find_zone(fqdn, servers)
