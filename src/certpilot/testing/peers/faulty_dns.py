"""A deliberately broken DNS server for fuzzing the DNS-01 self-check: it answers each UDP query
with what `answer` makes of the query's correct reply (garbage, a cut packet, another query's ID,
the TC bit set...). A stand-in, because no real DNS server can be told to misbehave like this;
certpilot's DNS-01 code is tested against BIND 9 for everything else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

import dns.exception
import dns.flags
import dns.message
import dns.rdatatype
import dns.rrset

from certpilot.testing.peers.ports import LOOPBACK_V4

# The correct reply's wire bytes -> the bytes to send (empty: send nothing more).
Answer = Callable[[bytes], bytes]


def correct_reply(query: dns.message.Message, txt_value: str) -> dns.message.Message:
    """An authoritative answer holding txt_value for a TXT question, and an SOA for anything else."""
    reply = dns.message.make_response(query)
    question = query.question[0]
    if question.rdtype == dns.rdatatype.TXT:
        reply.answer.append(dns.rrset.from_text(question.name, 60, "IN", "TXT", f'"{txt_value}"'))
    else:
        soa = "ns.example. hostmaster.example. 1 60 60 60 60"
        reply.answer.append(dns.rrset.from_text(question.name, 60, "IN", "SOA", soa))
    reply.flags |= dns.flags.AA
    return reply


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, server: FaultyDnsServer) -> None:
        self._server = server
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._transport is None:
            return  # asyncio calls connection_made first; nothing to answer through before it
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return
        correct = correct_reply(query, self._server.txt_value).to_wire()
        sent = self._server.answer(correct)
        if sent:
            self._transport.sendto(sent, addr)
        self._server.queries += 1


class FaultyDnsServer:
    """Listens on 127.0.0.1 (UDP only: a truncated answer's TCP retry finds nothing listening).
    `answer` and `txt_value` may be changed between queries."""

    def __init__(self, answer: Answer, txt_value: str = "token") -> None:
        self.answer = answer
        self.txt_value = txt_value
        self.queries = 0
        self.port = 0
        self._transport: asyncio.DatagramTransport | None = None

    async def __aenter__(self) -> FaultyDnsServer:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=(LOOPBACK_V4, 0)
        )
        self._transport = transport
        self.port = transport.get_extra_info("sockname")[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._transport is not None:
            self._transport.close()

    @property
    def address(self) -> str:
        return f"{LOOPBACK_V4}:{self.port}"
