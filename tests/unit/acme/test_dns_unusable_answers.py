"""The DNS-01 self-check against a nameserver that answers badly (FaultyDnsServer: a deliberately
broken stand-in, since no real server can be made to send these): a packet too short to parse or
one with another query's ID is "not yet propagated" with the reason, not an exception escaping
from dnspython into the Challenge controller (found by tests/fuzz)."""

from __future__ import annotations

import pytest

from certpilot.acme.solvers.dns01.propagation import txt_record_propagated
from certpilot.testing.peers.faulty_dns import FaultyDnsServer


def _other_id(reply: bytes) -> bytes:
    return bytes([reply[0] ^ 0xFF]) + reply[1:]


@pytest.mark.parametrize("answer", [lambda reply: b"\x00", _other_id], ids=["too short", "other id"])
async def test_an_unusable_answer_is_a_reason_not_an_exception(answer) -> None:  # type: ignore[no-untyped-def]
    async with FaultyDnsServer(answer) as server:
        result = await txt_record_propagated("_acme-challenge.example.com", "token", [server.address], True)
    assert not result.ok
    assert f"nameserver {server.address} sent an unusable answer" in result.reason
    assert server.queries == 1


async def test_the_correct_answer_still_passes() -> None:
    async with FaultyDnsServer(lambda reply: reply) as server:
        result = await txt_record_propagated("_acme-challenge.example.com", "token", [server.address], True)
    assert result.ok
