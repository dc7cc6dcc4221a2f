"""DNS answers: the DNS-01 self-check asks a FaultyDnsServer that breaks its correct reply in one
way (garbage, cut short, a byte flipped, another ID, the TC bit, an error rcode, trailing bytes,
another TXT value). The check must come back with a result (propagated or not, and why), never
raise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from hypothesis import strategies as st

from certpilot.acme.solvers.dns01.propagation import txt_record_propagated
from certpilot.testing.peers.faulty_dns import FaultyDnsServer
from tests.fuzz.fuzz_outcomes import Outcome, Tally, each_line_names

FQDN = "_acme-challenge.example.com"
VALUE = "token"


@dataclass(frozen=True)
class DnsCase:
    how: str
    at: int
    data: bytes

    def apply(self, reply: bytes) -> bytes:
        position = self.at % len(reply)
        if self.how == "garbage":
            return self.data
        if self.how == "cut":
            return reply[:position]
        if self.how == "flip":
            return reply[:position] + bytes([reply[position] ^ (self.data[0] | 1)]) + reply[position + 1 :]
        if self.how == "other id":
            return bytes([reply[0] ^ 0xFF, reply[1]]) + reply[2:]
        if self.how == "truncated flag":
            return reply[:2] + bytes([reply[2] | 0x02]) + reply[3:]
        if self.how == "rcode":
            return reply[:3] + bytes([(reply[3] & 0xF0) | (self.data[0] % 16)]) + reply[4:]
        if self.how == "trailing":
            return reply + self.data
        return reply


dns_cases = st.builds(
    DnsCase,
    how=st.sampled_from(
        [
            "garbage",
            "cut",
            "flip",
            "flip",
            "other id",
            "truncated flag",
            "rcode",
            "trailing",
            "as is",
            "value",
        ]
    ),
    at=st.integers(0, 511),
    data=st.binary(min_size=1, max_size=64),
)


@asynccontextmanager
async def faulty_dns() -> AsyncIterator[FaultyDnsServer]:
    async with FaultyDnsServer(lambda reply: reply) as server:
        yield server


NAMES = (FQDN, "nameserver")


async def check_dns_answer(case: DnsCase, server: FaultyDnsServer, tally: Tally) -> None:
    server.answer = case.apply
    server.txt_value = "another" if case.how == "value" else VALUE
    try:
        result = await txt_record_propagated(FQDN, VALUE, [server.address], recursive_only=True)
    except Exception as error:
        tally.crashed(case, error)
        return
    if result.ok:
        tally.add(Outcome.ACCEPTED)
    else:
        clear = each_line_names([result.reason], NAMES)
        tally.add(Outcome.REFUSED if clear else Outcome.UNCLEAR, f"{case!r}\n-> {result.reason}")
