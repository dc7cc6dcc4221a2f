"""`python -m certpilot.controllers --store PATH [--output-dir DIR] ...`: run the daemon.

The `certpilot run` command offers the same through the CLI; this entry point needs nothing
above the controllers layer."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from certpilot.api.duration import parse_duration
from certpilot.controllers.options import ControllerOptions
from certpilot.controllers.setup import run_daemon
from certpilot.runtime.lock import InstanceLocked
from certpilot.runtime.logging import setup_logging


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m certpilot.controllers", description=__doc__)
    parser.add_argument("--store", required=True, type=Path, help="SQLite store file")
    parser.add_argument("--output-dir", type=Path, help="mirror certificate Secrets to files here")
    parser.add_argument("--output-hook", help="shell command run after mirrored files change")
    parser.add_argument("--output-hook-timeout", type=float, default=30.0, help="seconds (default 30)")
    parser.add_argument("--metrics-listen", help="host:port for /metrics, /healthz, /readyz")
    parser.add_argument("--workers", type=int, default=2, help="workers per controller (default 2)")
    parser.add_argument("--thread-pool-size", type=int, default=8)
    parser.add_argument("--cluster-resource-namespace", default="cert-manager")
    parser.add_argument("--issuance-backoff-initial", default="1h", help="Go duration (default 1h)")
    parser.add_argument("--issuance-backoff-max", default="32h", help="Go duration (default 32h)")
    parser.add_argument("--enable-certificate-owner-ref", action="store_true")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--log-format", choices=("text", "json"), default="text")
    return parser.parse_args(argv)


def options_from(args: argparse.Namespace) -> ControllerOptions:
    return ControllerOptions(
        cluster_resource_namespace=args.cluster_resource_namespace,
        issuance_backoff_initial=parse_duration(args.issuance_backoff_initial),
        issuance_backoff_max=parse_duration(args.issuance_backoff_max),
        output_dir=args.output_dir,
        output_hook=args.output_hook,
        output_hook_timeout=args.output_hook_timeout,
        enable_certificate_owner_ref=args.enable_certificate_owner_ref,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    setup_logging(args.log_level, args.log_format)
    try:
        asyncio.run(
            run_daemon(
                args.store,
                options_from(args),
                metrics_listen=args.metrics_listen,
                workers=args.workers,
                thread_pool_size=args.thread_pool_size,
            )
        )
    except InstanceLocked as err:
        print(f"certpilot: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
