"""`certpilot install`: put certpilot's CRDs (and, with --webhook-url, its admission webhook) on a
cluster (the work itself: cli/install_on_cluster.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from certpilot.cli.errors import CLIError
from certpilot.controllers.kubernetes_options import KubernetesOptions
from certpilot.server.webhook_configuration import DEFAULT_TIMEOUT_SECONDS

# The CA Secret `certpilot run --webhook-listen` reads: install and the webhook must agree on it.
DEFAULT_CA_SECRET = KubernetesOptions.webhook_ca_secret


def install_command(
    kubeconfig: Annotated[Path, typer.Option(help="kubeconfig of the cluster to install on.")],
    context: Annotated[str | None, typer.Option(help="kubeconfig context (default: current).")] = None,
    webhook_url: Annotated[
        str | None,
        typer.Option(
            help="https://HOST:PORT where `certpilot run --webhook-listen` serves; "
            "writes the webhook configurations."
        ),
    ] = None,
    namespace: Annotated[str, typer.Option(help="Namespace of the webhook's CA Secret.")] = "cert-manager",
    webhook_ca_secret: Annotated[
        str | None,
        typer.Option(help=f"namespace/name of the webhook CA Secret (default {DEFAULT_CA_SECRET})."),
    ] = None,
    webhook_timeout: Annotated[int, typer.Option(help="Seconds the apiserver waits for the webhook.")] = (
        DEFAULT_TIMEOUT_SECONDS
    ),
) -> None:
    """Server-side apply certpilot's CRDs and, with --webhook-url, its admission webhook."""
    # Imported by the command, not the module: lightkube and the webhook's aiohttp server would slow
    # down every certpilot command.
    from certpilot.cli.install_on_cluster import install_on_cluster
    from certpilot.server.webhook import parse_secret_name

    if webhook_url is not None and not webhook_url.startswith("https://"):
        raise CLIError(
            f"--webhook-url: {webhook_url!r} must start with https:// (the apiserver calls webhooks over TLS)"
        )
    ca_namespace, ca_name = namespace, parse_secret_name(DEFAULT_CA_SECRET)[1]
    if webhook_ca_secret is not None:
        try:
            ca_namespace, ca_name = parse_secret_name(webhook_ca_secret)
        except ValueError as error:
            raise CLIError(f"--webhook-ca-secret: {error}") from None
    install_on_cluster(kubeconfig, context, webhook_url, ca_namespace, ca_name, webhook_timeout)
