"""Free loopback ports for peers started by the test suite."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path

LOOPBACK_V4 = "127.0.0.1"
LOOPBACK_V6 = "::1"


# Where free ports are chosen: "LOW-HIGH". scripts/test gives its concurrent pytest runs ranges that
# do not overlap; without it, everything below the kernel's ephemeral range.
PORT_RANGE_VARIABLE = "CERTPILOT_TEST_PORTS"
EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST_PORT = 10000


def _is_free(family: socket.AddressFamily, kind: socket.SocketKind, host: str, port: int) -> bool:
    with socket.socket(family, kind) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def port_range() -> range:
    """The ports free_port chooses from: $CERTPILOT_TEST_PORTS, else those below the ephemeral range."""
    given = os.environ.get(PORT_RANGE_VARIABLE)
    if given:
        low, _, high = given.partition("-")
        return range(int(low), int(high) + 1)
    try:
        ephemeral_low = int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    return range(LOWEST_PORT, max(ephemeral_low, LOWEST_PORT + 1000))


class _PortWalk:
    """Hands out each port of the range once, from a random place: another process choosing
    in the same range (a benchmark the tests start) almost never meets the same ports."""

    def __init__(self) -> None:
        self._offset = secrets.randbelow(1 << 30)

    def next(self, ports: range) -> int:
        self._offset += 1
        return ports[self._offset % len(ports)]


_WALK = _PortWalk()


def free_port(*, udp_too: bool = False, ipv6_too: bool = False) -> int:
    """A port free on 127.0.0.1 (and for UDP, for DNS servers, and on ::1, for listeners that serve
    both loopbacks, when asked), released for a peer to bind.

    It is chosen outside the kernel's ephemeral range: bind(0) and the source ports of outgoing
    connections (every process's, the other test runs' too) come from there, so a port the kernel
    once handed out could be taken again before the peer bound it."""
    ports = port_range()
    for _ in range(min(len(ports), 500)):
        port = _WALK.next(ports)
        if not _is_free(socket.AF_INET, socket.SOCK_STREAM, LOOPBACK_V4, port):
            continue
        if udp_too and not _is_free(socket.AF_INET, socket.SOCK_DGRAM, LOOPBACK_V4, port):
            continue
        if ipv6_too and not _is_free(socket.AF_INET6, socket.SOCK_STREAM, LOOPBACK_V6, port):
            continue
        return port
    raise RuntimeError(f"no free loopback port in {ports.start}-{ports.stop - 1} after 500 attempts")


def non_loopback_ipv4() -> str | None:
    """An IPv4 address of this host outside 127.0.0.0/8 that a server can bind, or None.

    The address the kernel would send from towards a TEST-NET-3 address (a UDP connect sends
    nothing). Kubernetes refuses loopback addresses in Endpoints and EndpointSlices, so a server
    the API server must reach through a Service listens on such an address."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("203.0.113.1", 9))
            address: str = probe.getsockname()[0]
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
            server.bind((address, 0))
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address  # noqa: S104
