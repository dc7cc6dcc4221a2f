"""Fixtures for the tests of the DNS vendor stand-ins: one BIND peer the stand-ins write through to, and
the stand-in's endpoint variables set for a test module (which defines the `peer` fixture)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from certpilot.testing.peers.bind import BindServer, bind_server
from certpilot.testing.peers.dns_standins.peers import DnsProviderPeer

STANDIN_ZONES = ("example.test", "sub.example.test", "other.test")
STANDIN_RECORDS = {"example.test": ["_acme-challenge.alias CNAME _acme-challenge.alias.other.test."]}


@pytest.fixture(scope="module")
def standin_bind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BindServer]:
    """A named serving example.test, its sub-zone sub.example.test, and other.test (a CNAME target)."""
    if shutil.which("named") is None:
        pytest.skip("BIND 9 (named) is not installed: apt-get install bind9 bind9-dnsutils")
    directory = tmp_path_factory.mktemp("standin-bind")
    server = bind_server(directory, zones=STANDIN_ZONES, records=STANDIN_RECORDS).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def peer_environment(peer: DnsProviderPeer) -> Iterator[None]:
    """The peer's endpoint variables, set for the test module."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in peer.environment().items():
            patch.setenv(name, value)
        yield
