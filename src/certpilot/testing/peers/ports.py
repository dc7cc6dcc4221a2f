"""Free loopback ports for peers started by the test suite."""

from __future__ import annotations

import socket

LOOPBACK_V4 = "127.0.0.1"
LOOPBACK_V6 = "::1"


def _is_free(family: socket.AddressFamily, kind: socket.SocketKind, host: str, port: int) -> bool:
    with socket.socket(family, kind) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(*, udp_too: bool = False, ipv6_too: bool = False) -> int:
    """A port the kernel just handed out on 127.0.0.1 that is also free where asked
    (UDP for DNS servers, ::1 for listeners that serve both loopbacks).

    The port is released before returning, so a peer can bind it; the small race with
    other processes is accepted for tests."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((LOOPBACK_V4, 0))
            port: int = sock.getsockname()[1]
        if udp_too and not _is_free(socket.AF_INET, socket.SOCK_DGRAM, LOOPBACK_V4, port):
            continue
        if ipv6_too and not _is_free(socket.AF_INET6, socket.SOCK_STREAM, LOOPBACK_V6, port):
            continue
        return port
    raise RuntimeError("no free loopback port found after 50 attempts")


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
