"""Runs one fuzz target for a number of hypothesis-generated cases and tallies every outcome (a
case never fails the run: the figures count them; the tests assert on the figures)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.fuzz_outcomes import Tally
from tests.fuzz.fuzz_settings import fuzz_settings


@dataclass(frozen=True)
class FuzzTarget:
    """cases: what to generate. check(case, peer, tally): run one case, add its outcome.
    peer(): what the checks share (a store, a server), started once per run."""

    name: str
    cases: st.SearchStrategy[Any]
    check: Callable[[Any, Any, Tally], Awaitable[None]]
    peer: Callable[[], AbstractAsyncContextManager[Any]]


def run_target(target: FuzzTarget, cases: int) -> Tally:
    tally = Tally()
    loop = asyncio.new_event_loop()
    try:
        peer_context = target.peer()
        peer = loop.run_until_complete(peer_context.__aenter__())
        try:

            @fuzz_settings(cases)
            @given(target.cases)
            def one(case: Any) -> None:
                loop.run_until_complete(target.check(case, peer, tally))

            one()
        finally:
            loop.run_until_complete(peer_context.__aexit__(None, None, None))
    finally:
        loop.close()
    return tally
