"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from certpilot.cli.context import STORE_ENV
from certpilot.store.sealing import ENCRYPTION_KEY_ENV

StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        envvar=STORE_ENV,
        help=f"Store file (default: ${STORE_ENV}, else ~/.local/share/certpilot/store.db).",
        show_default=False,
    ),
]
NamespaceOption = Annotated[str, typer.Option("--namespace", "-n", help="Namespace.")]
KubeconfigOption = Annotated[
    Path | None,
    typer.Option(
        "--kubeconfig",
        help="Work on this Kubernetes cluster (kubeconfig file) instead of the embedded store.",
        show_default=False,
    ),
]
ContextOption = Annotated[
    str | None, typer.Option("--context", help="Kubernetes: the kubeconfig context.", show_default=False)
]
EncryptionKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--encryption-key-file",
        envvar=ENCRYPTION_KEY_ENV,
        help="Encrypt Secrets in the store with the AES-256 key in this file (32 bytes, base64).",
        show_default=False,
    ),
]
