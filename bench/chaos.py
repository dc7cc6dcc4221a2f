"""Chaos: `certpilot run` (a child process on a store file, with --output-dir) is killed with
SIGKILL --kills times at random instants and restarted each time, while --n Certificates issue from
a CA, an ACME HTTP-01, an ACME DNS-01 (RFC 2136 to BIND) and a Vault (OpenBao) issuer in turn,
against pebble with PEBBLE_WFE_NONCEREJECT=30. pebble, BIND and OpenBao are each restarted
mid-flight (at a quarter, half and three quarters of the kills) and every Certificate is renewed at
40 % of the kills and again just before the last kill, so kills also land in renewals and the
recovery after the last kill includes finishing 200 renewals. Every fifth Certificate has rotationPolicy
Never.

Figures (certpilot.testing.audit): certificates_lost (not Ready at the end), secret_mismatches and
file_mismatches (tls.key not the key of tls.crt, in the store and in --output-dir),
duplicate_orders (CertificateRequests with more than one Order), orphaned_challenges (Challenges
whose Order is gone), never_rotation_key_changes (a Never Certificate whose CertificateRequests or
Secret hold more than one key) and never_rotation_keys_changed_while_running (sampled after every
kill), CertificateRequests per Certificate, and recover_after_last_kill_s (last restart → every
Certificate Ready).

usage: python bench/chaos.py [--n 200] [--kills 100] [--seed 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from common import emit, machine_facts

from certpilot.testing.chaos import Peers, Plan, run_chaos


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=200, help="Certificates (default 200)")
    parser.add_argument("--kills", type=int, default=100, help="SIGKILLs of the daemon (default 100)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the store, files and logs in this directory")
    args = parser.parse_args()
    facts = machine_facts()
    with tempfile.TemporaryDirectory(prefix="certpilot-chaos-") as scratch:
        workdir = args.keep or Path(scratch)
        peers = Peers.start(workdir / "peers")
        quarter = max(1, args.kills // 4)
        plan = Plan(
            certificates=args.n,
            kills=args.kills,
            seed=args.seed,
            peer_restarts={quarter: "pebble", 2 * quarter: "bind", 3 * quarter: "openbao"},
            # The last renewal is still in flight at the last kill: recovery is then measured.
            renew_at=frozenset({args.kills * 2 // 5, args.kills - 1}),
        )
        try:
            outcome = asyncio.run(run_chaos(workdir / "run", peers, plan))
        finally:
            peers.stop()
    figures = outcome.figures()
    broken = outcome.broken()
    emit(
        {"benchmark": "chaos", "machine": facts, "n": args.n, "results": figures, "broken": broken},
        f"chaos n={args.n} kills={outcome.kills} restarts={','.join(outcome.peer_restarts)}: "
        f"lost {figures['certificates_lost']}, key mismatches {figures['secret_mismatches']} in Secrets "
        f"and {figures['file_mismatches']} in files, duplicate Orders {len(outcome.audit.duplicate_orders)}, "
        f"orphaned Challenges {len(outcome.audit.orphaned_challenges)}, Never keys changed "
        f"{figures['never_rotation_key_changes'] + figures['never_rotation_keys_changed_while_running']}, "
        f"CRs created per Certificate {figures['requests_created_per_certificate']} (kept: max "
        f"{figures['requests_per_certificate_max']}), recovered {figures['recover_after_last_kill_s']} s "
        f"after the last kill",
    )


if __name__ == "__main__":
    main()
