"""`certpilot acmesolver`: what an HTTP-01 solver Pod runs (cert-manager's acmesolver binary)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from certpilot.acme.solvers.http01_cluster.identity import SOLVER_PORT
from certpilot.runtime.logging import setup_logging


def acmesolver_command(
    domain: Annotated[str, typer.Option(help="The name (or IP address) the challenge is for.")],
    token: Annotated[str, typer.Option(help="The ACME challenge token.")],
    key: Annotated[str, typer.Option(help="The key authorization to answer with.")],
    listen_port: Annotated[
        int, typer.Option(help="The port to listen on, on every interface.")
    ] = SOLVER_PORT,
) -> None:
    """Answer one ACME HTTP-01 challenge until SIGTERM/SIGINT (run by solver Pods on a cluster)."""
    # Imported by the command, not the module: its aiohttp server would slow down every certpilot command.
    from certpilot.acme.solvers.http01_cluster.acmesolver import AcmeSolver

    setup_logging("INFO")
    asyncio.run(AcmeSolver(domain, token, key, listen_port).serve_until_signal())
