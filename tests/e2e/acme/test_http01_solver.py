"""The HTTP-01 listener on its own, over real sockets (127.0.0.1 and ::1)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from certpilot.acme.solvers.http01 import Http01Solver, InvalidListenAddress, parse_listen_address
from certpilot.testing.peers.ports import free_port


@pytest.fixture
async def solver_and_port() -> AsyncIterator[tuple[Http01Solver, int]]:
    port = free_port(ipv6_too=True)
    solver = await Http01Solver([f"127.0.0.1:{port}", f"[::1]:{port}"]).start()
    yield solver, port
    await solver.stop()


async def fetch(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def test_serves_presented_tokens_concurrently_and_repeatedly_on_both_loopbacks(
    solver_and_port: tuple[Http01Solver, int],
) -> None:
    solver, port = solver_and_port
    solver.present("tok-1", "tok-1.thumb")
    solver.present("tok-2", "tok-2.thumb")
    urls = [
        f"http://{host}:{port}/.well-known/acme-challenge/{token}"
        for host in ("127.0.0.1", "[::1]")
        for token in ("tok-1", "tok-2")
    ] * 5

    answers = await asyncio.gather(*(fetch(url) for url in urls))

    assert answers == [(200, f"{url.rsplit('/', 1)[1]}.thumb") for url in urls]


async def test_anything_else_is_404(solver_and_port: tuple[Http01Solver, int]) -> None:
    solver, port = solver_and_port
    solver.present("tok", "tok.thumb")
    base = f"http://127.0.0.1:{port}"

    assert (await fetch(f"{base}/.well-known/acme-challenge/other"))[0] == 404
    assert (await fetch(f"{base}/tok"))[0] == 404
    assert (await fetch(f"{base}/.well-known/acme-challenge/tok/extra"))[0] == 404
    solver.cleanup("tok")
    assert not solver.is_presented("tok")
    assert (await fetch(f"{base}/.well-known/acme-challenge/tok"))[0] == 404


async def test_a_taken_port_fails_to_start_and_releases_the_others() -> None:
    port = free_port()
    async with Http01Solver([f"127.0.0.1:{port}"]):
        with pytest.raises(OSError):
            await Http01Solver([f"[::1]:{port}", f"127.0.0.1:{port}"]).start()


@pytest.mark.parametrize(
    ("address", "expected"),
    [(":80", (None, 80)), ("127.0.0.1:5002", ("127.0.0.1", 5002)), ("[::1]:8080", ("::1", 8080))],
)
def test_parse_listen_address(address: str, expected: tuple[str | None, int]) -> None:
    assert parse_listen_address(address) == expected


@pytest.mark.parametrize("address", ["80", "host:", "host:http", ":70000"])
def test_parse_listen_address_refuses_nonsense(address: str) -> None:
    with pytest.raises(InvalidListenAddress, match="host:port"):
        parse_listen_address(address)
