"""DNS names and nameserver addresses as DNS-01 uses them."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from certpilot.acme.solvers.dns01.errors import InvalidProviderConfig

DNS_PORT = 53


@dataclass(frozen=True)
class NameserverAddress:
    host: str
    port: int = DNS_PORT

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def absolute(name: str) -> str:
    """`name` with its trailing dot, lower-cased (DNS names compare case-insensitively)."""
    name = name.lower()
    return name if name.endswith(".") else name + "."


def challenge_record_name(dns_name: str) -> str:
    """`_acme-challenge.<name>.` for a DNS identifier; a wildcard uses its base name's (RFC 8555)."""
    return "_acme-challenge." + absolute(dns_name.removeprefix("*."))


def parse_nameserver(text: str) -> NameserverAddress:
    """`host`, `host:port`, `v6` or `[v6]:port` (port 53 when left out)."""
    text = text.strip()
    if not text:
        raise InvalidProviderConfig(
            "nameserver is empty: give host[:port], e.g. 10.0.0.1:53 or [2001:db8::1]:53"
        )
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise InvalidProviderConfig(f"nameserver {text!r} is not [ipv6]:port")
        port_text = rest[1:]
    elif text.count(":") > 1:
        host, port_text = text, ""  # a bare IPv6 address
    else:
        host, _, port_text = text.partition(":")
    if not port_text:
        return NameserverAddress(host, DNS_PORT)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InvalidProviderConfig(f"nameserver {text!r} has an invalid port {port_text!r} (1-65535)")
    return NameserverAddress(host, int(port_text))


def is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def relative_name(fqdn: str, zone: str, apex: str = "@") -> str:
    """`fqdn` relative to `zone` (`apex` for the zone's own name), without trailing dots."""
    name, origin = absolute(fqdn), absolute(zone)
    if name == origin:
        return apex
    if not name.endswith("." + origin):
        raise InvalidProviderConfig(f"{fqdn} is not inside the zone {zone}: check hostedZoneName")
    return name[: -len(origin) - 1]


def parent_names(fqdn: str) -> list[str]:
    """`a.b.c.` → [`a.b.c`, `b.c`, `c`]: the candidate zones of a name, closest first, without the dot."""
    labels = fqdn.lower().rstrip(".").split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]
