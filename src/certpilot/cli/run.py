"""`certpilot run`: the daemon on the embedded store."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from certpilot.cli.context import resolve_store_path
from certpilot.cli.options import StoreOption
from certpilot.controllers.options import ControllerOptions


def _split(values: list[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for item in values or [] for v in item.split(",") if v.strip())


def run_command(
    store: StoreOption = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(envvar="CERTPILOT_OUTPUT_DIR", help="Mirror certificate Secrets to files here."),
    ] = None,
    hook: Annotated[
        str | None,
        typer.Option("--hook", envvar="CERTPILOT_HOOK", help="Command run after mirrored files change."),
    ] = None,
    metrics_listen: Annotated[
        str, typer.Option(help="Address of /metrics, /healthz, /readyz ('' = off).")
    ] = "127.0.0.1:9402",
    workers: Annotated[int, typer.Option(help="Workers per controller.")] = 4,
    cluster_resource_namespace: Annotated[
        str, typer.Option(help="Namespace of ClusterIssuers' Secrets.")
    ] = "cert-manager",
    auto_approve: Annotated[bool, typer.Option(help="Approve requests for certpilot's own issuers.")] = True,
    approve_signers: Annotated[
        list[str] | None, typer.Option(help="More signers to auto-approve (group/kind).")
    ] = None,
    max_concurrent_challenges: Annotated[int, typer.Option(help="ACME challenges in progress at once.")] = 60,
    dns01_recursive_nameservers: Annotated[
        list[str] | None, typer.Option(help="host:port used to find authoritative servers.")
    ] = None,
    dns01_recursive_nameservers_only: Annotated[
        bool, typer.Option(help="Only query the recursive nameservers.")
    ] = False,
    dns01_check_retry_period: Annotated[
        float, typer.Option(help="Seconds between DNS-01 self-checks.")
    ] = 10.0,
    http01_listen: Annotated[
        list[str] | None, typer.Option(help="HTTP-01 listener address(es), e.g. :80.")
    ] = None,
    tlsalpn01_listen: Annotated[
        list[str] | None, typer.Option(help="TLS-ALPN-01 listener address(es), e.g. :443.")
    ] = None,
) -> None:
    """Run the controllers until SIGTERM/SIGINT."""
    options = ControllerOptions(
        cluster_resource_namespace=cluster_resource_namespace,
        auto_approve=auto_approve,
        approve_signers=_split(approve_signers),
        output_dir=output_dir,
        output_hook=hook,
        max_concurrent_challenges=max_concurrent_challenges,
        dns01_recursive_nameservers=_split(dns01_recursive_nameservers),
        dns01_recursive_nameservers_only=dns01_recursive_nameservers_only,
        dns01_check_retry_period=timedelta(seconds=dns01_check_retry_period),
        http01_listen=_split(http01_listen) or (":80",),
        tlsalpn01_listen=_split(tlsalpn01_listen),
    )
    # Imported here so the other commands start without loading every controller.
    from certpilot.controllers.setup import run_daemon

    path = resolve_store_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    asyncio.run(run_daemon(path, options, metrics_listen=metrics_listen or None, workers=workers))
