"""`certpilot run`: the daemon on the embedded store."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

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
    issuance_backoff_initial: Annotated[str, typer.Option(help="First wait after a failed issuance.")] = "1h",
    issuance_backoff_max: Annotated[str, typer.Option(help="Longest wait after failed issuances.")] = "32h",
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
    webhook_listen: Annotated[
        str | None, typer.Option(help="host:port of the HTTPS admission webhook (off when unset).")
    ] = None,
    webhook_dns_names: Annotated[
        Many, typer.Option(help="DNS names / IPs in the webhook's serving certificate.")
    ] = None,
    webhook_ca_secret: Annotated[
        str, typer.Option(help="namespace/name of the Secret holding the webhook's CA.")
    ] = "cert-manager/certpilot-webhook-ca",  # noqa: S107 - a Secret's name
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    log_format: Annotated[str, typer.Option(help="text or json.")] = "text",
) -> None:
    """Run the controllers until SIGTERM/SIGINT."""
    if log_format not in ("text", "json"):
        raise CLIError(f"--log-format: {log_format!r} is not allowed; use text or json")
    fmt: Literal["text", "json"] = "json" if log_format == "json" else "text"
    setup_logging(log_level, fmt)
    options = ControllerOptions(
        cluster_resource_namespace=cluster_resource_namespace,
        auto_approve=auto_approve,
        approve_signers=_split(approve_signers),
        issuance_backoff_initial=_duration("--issuance-backoff-initial", issuance_backoff_initial),
        issuance_backoff_max=_duration("--issuance-backoff-max", issuance_backoff_max),
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
    daemon = run_daemon(
        path,
        options,
        metrics_listen=metrics_listen or None,
        workers=workers,
        thread_pool_size=thread_pool_size,
        manifests=manifests,
    )
    try:
        if webhook_listen:
            asyncio.run(
                _with_webhook(daemon, path, webhook_listen, _split(webhook_dns_names), webhook_ca_secret)
            )
        else:
            asyncio.run(daemon)
    except InstanceLocked as e:
        raise CLIError(str(e)) from None


async def _with_webhook(
    daemon: Coroutine[Any, Any, None], store_path: Path, listen: str, hosts: tuple[str, ...], ca_secret: str
) -> None:
    """The daemon with the admission webhook beside it: the webhook starts first (a port in use
    stops the command at once) and stops when the daemon does. SubjectAccessReviews go to the
    cluster of $KUBECONFIG or the in-cluster service account."""
    from lightkube import AsyncClient
    from lightkube.core.exceptions import ConfigError

    from certpilot.server.access_review import SubjectAccessReviews
    from certpilot.server.webhook import WebhookConfig, WebhookServer, parse_secret_name
    from certpilot.store.sqlite import SQLiteStore

    try:
        namespace, name = parse_secret_name(ca_secret)
        client = AsyncClient()
    except (ValueError, ConfigError) as e:
        daemon.close()
        raise CLIError(f"--webhook-listen: {e}") from None
    store = SQLiteStore(store_path)
    server = WebhookServer(
        store, SubjectAccessReviews(client), WebhookConfig(listen, hosts or ("localhost",), namespace, name)
    )
    try:
        await server.start()
        await daemon
    finally:
        daemon.close()  # a no-op once awaited; frees the coroutine when start() failed
        await server.stop()
        await client.close()
        await store.close()
