"""`certpilot run`: the daemon on the embedded store."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

import typer

from certpilot.api.duration import InvalidDuration, parse_duration
from certpilot.cli.context import resolve_store_path
from certpilot.cli.errors import CLIError
from certpilot.cli.options import StoreOption
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.lock import InstanceLocked
from certpilot.runtime.logging import setup_logging

Many = list[str] | None


def _split(values: Many) -> tuple[str, ...]:
    return tuple(v.strip() for item in values or [] for v in item.split(",") if v.strip())


def _duration(flag: str, value: str) -> timedelta:
    try:
        return parse_duration(value)
    except InvalidDuration as e:
        raise CLIError(f"{flag}: {e}") from None


def issuance_backoff(initial: str, maximum: str) -> tuple[timedelta, timedelta]:
    """The failed-issuance backoff options: a wait that doubles from `initial` per failure,
    never beyond `maximum` (cert-manager's certificate-request minimum / maximum backoff)."""
    first = _duration("--issuance-backoff-initial", initial)
    longest = _duration("--issuance-backoff-max", maximum)
    for flag, value in (("--issuance-backoff-initial", first), ("--issuance-backoff-max", longest)):
        if value <= timedelta(0):
            raise CLIError(f"{flag}: must be positive, got {value}")
    if longest < first:
        raise CLIError(
            f"--issuance-backoff-max ({maximum}) must be at least --issuance-backoff-initial ({initial})"
        )
    return first, longest


def run_command(
    store: StoreOption = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(envvar="CERTPILOT_OUTPUT_DIR", help="Mirror Secrets to files here."),
    ] = None,
    hook: Annotated[
        str | None, typer.Option(envvar="CERTPILOT_HOOK", help="Command run after mirrored files change.")
    ] = None,
    hook_timeout: Annotated[float, typer.Option(help="Seconds a hook may run.")] = 30.0,
    metrics_listen: Annotated[
        str, typer.Option(help="host:port of /metrics, /healthz, /readyz ('' turns it off).")
    ] = "127.0.0.1:9402",
    workers: Annotated[int, typer.Option(help="Workers per controller.")] = 4,
    thread_pool_size: Annotated[int, typer.Option(help="Threads for blocking work (key generation...).")] = 8,
    cluster_resource_namespace: Annotated[
        str, typer.Option(help="Namespace of ClusterIssuers' Secrets.")
    ] = "cert-manager",
    auto_approve: Annotated[bool, typer.Option(help="Approve requests for certpilot's own issuers.")] = True,
    approve_signers: Annotated[Many, typer.Option(help="Also approve these (group/kind).")] = None,
    # cert-manager's own names for the same two durations are accepted too.
    issuance_backoff_initial: Annotated[
        str,
        typer.Option(
            "--issuance-backoff-initial",
            "--certificate-request-minimum-backoff-duration",
            help="First wait after a failed issuance.",
        ),
    ] = "1h",
    issuance_backoff_max: Annotated[
        str,
        typer.Option(
            "--issuance-backoff-max",
            "--certificate-request-maximum-backoff-duration",
            help="Longest wait after failed issuances.",
        ),
    ] = "32h",
    enable_certificate_owner_ref: Annotated[
        bool, typer.Option(help="Make Certificates own their Secrets (deleted with them).")
    ] = False,
    max_concurrent_challenges: Annotated[int, typer.Option(help="ACME challenges in progress at once.")] = 60,
    dns01_recursive_nameservers: Annotated[
        Many, typer.Option(help="host:port used to find a zone's authoritative servers.")
    ] = None,
    dns01_recursive_nameservers_only: Annotated[
        bool, typer.Option(help="Query only the recursive nameservers in the DNS-01 self-check.")
    ] = False,
    dns01_check_retry_period: Annotated[float, typer.Option(help="Seconds between DNS-01 checks.")] = 10.0,
    http01_listen: Annotated[Many, typer.Option(help="HTTP-01 listener, e.g. :80.")] = None,
    tlsalpn01_listen: Annotated[Many, typer.Option(help="TLS-ALPN-01 listener, e.g. :443.")] = None,
    manifests: Annotated[
        Path | None,
        typer.Option(envvar="CERTPILOT_MANIFESTS", help="Keep the store in step with this folder."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    log_format: Annotated[str, typer.Option(help="text or json.")] = "text",
) -> None:
    """Run the controllers until SIGTERM/SIGINT."""
    if log_format not in ("text", "json"):
        raise CLIError(f"--log-format: {log_format!r} is not allowed; use text or json")
    fmt: Literal["text", "json"] = "json" if log_format == "json" else "text"
    setup_logging(log_level, fmt)
    backoff_initial, backoff_max = issuance_backoff(issuance_backoff_initial, issuance_backoff_max)
    options = ControllerOptions(
        cluster_resource_namespace=cluster_resource_namespace,
        auto_approve=auto_approve,
        approve_signers=_split(approve_signers),
        issuance_backoff_initial=backoff_initial,
        issuance_backoff_max=backoff_max,
        output_dir=output_dir,
        output_hook=hook,
        output_hook_timeout=hook_timeout,
        enable_certificate_owner_ref=enable_certificate_owner_ref,
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
    try:
        asyncio.run(
            run_daemon(
                path,
                options,
                metrics_listen=metrics_listen or None,
                workers=workers,
                thread_pool_size=thread_pool_size,
                manifests=manifests,
            )
        )
    except InstanceLocked as e:
        raise CLIError(str(e)) from None
