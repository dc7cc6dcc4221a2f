"""`certpilot acmesolver` as a solver Pod runs it, on a real socket: the key for the right Host and
token, 404 for another host, a clean exit on SIGTERM, and the key never in its log."""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp

from certpilot.testing.peers.ports import free_port


async def fetch(port: int, host: str, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}{path}", headers={"Host": host}) as reply,
    ):
        return reply.status, await reply.text()


async def test_the_command_serves_the_key_until_sigterm() -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "certpilot.cli",
        "acmesolver",
        f"--listen-port={port}",
        "--domain=www.example.com",
        "--token=tok",
        "--key=tok.thumb",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        answer = None
        for _ in range(200):
            try:
                answer = await fetch(port, "www.example.com", "/.well-known/acme-challenge/tok")
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        assert answer == (200, "tok.thumb")
        assert (await fetch(port, "evil.example.com", "/.well-known/acme-challenge/tok"))[0] == 404
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    assert b"tok.thumb" not in stderr, "the key authorization is never logged"
