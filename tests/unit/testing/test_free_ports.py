"""free_port chooses outside the kernel's ephemeral range, in the range a test run was given (32100-32103:
outside the ranges scripts/test gives its concurrent runs)."""

from __future__ import annotations

import socket

import pytest

from certpilot.testing.peers.ports import (
    EPHEMERAL_RANGE,
    LOOPBACK_V4,
    PORT_RANGE_VARIABLE,
    free_port,
    port_range,
)


def test_ports_come_from_below_the_ephemeral_range_and_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PORT_RANGE_VARIABLE, raising=False)
    ephemeral_low = int(EPHEMERAL_RANGE.read_text().split()[0])
    ports = [free_port() for _ in range(20)]
    assert all(port < ephemeral_low for port in ports)
    assert len(set(ports)) == len(ports)


def test_a_given_range_is_kept_and_a_port_in_use_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PORT_RANGE_VARIABLE, "32100-32103")
    assert port_range() == range(32100, 32104)
    with socket.socket() as taken:
        taken.bind((LOOPBACK_V4, 32100))
        taken.listen()
        chosen = {free_port() for _ in range(12)}
    assert chosen == {32101, 32102, 32103}
