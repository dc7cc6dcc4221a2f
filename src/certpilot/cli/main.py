"""The `certpilot` command."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

import typer

from certpilot import __version__
from certpilot.api.registry import UnknownKind
from certpilot.cli import cmctl, resources, revoke
from certpilot.cli.acmesolver import acmesolver_command
from certpilot.cli.backup import backup_command, restore_command
from certpilot.cli.errors import CLIError
from certpilot.cli.install import install_command
from certpilot.cli.rotate_key import rotate_encryption_key_command
from certpilot.cli.run import run_command
from certpilot.issuers.plugins import ENTRY_POINT_GROUP, PluginLoadError, plugin_from_entry_point
from certpilot.store.errors import StoreError

app = typer.Typer(
    name="certpilot",
    help="cert-manager, written in Python: declare certificates, certpilot issues and renews them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.command("apply")(resources.apply_command)
app.command("get")(resources.get_command)
app.command("describe")(resources.describe_command)
app.command("delete")(resources.delete_command)
app.command("run")(run_command)
app.command("install")(install_command)
app.command("rotate-encryption-key")(rotate_encryption_key_command)
app.command("backup")(backup_command)
app.command("restore")(restore_command)
app.command("acmesolver")(acmesolver_command)
app.command("renew")(cmctl.renew_command)
app.command("approve")(cmctl.approve_command)
app.command("deny")(cmctl.deny_command)
app.command("revoke")(revoke.revoke_command)
app.add_typer(cmctl.status_app, name="status")
app.add_typer(cmctl.inspect_app, name="inspect")
app.add_typer(cmctl.create_app, name="create")


@app.command("version")
def version() -> None:
    """Print certpilot's version."""
    typer.echo(f"certpilot {__version__}")


def register_plugin_kinds() -> None:
    """Issuer plugins bring their own kinds: make them known to apply/get/describe."""
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            plugin_from_entry_point(entry_point)
        except PluginLoadError as e:
            typer.echo(f"warning: {e}", err=True)


def main() -> None:
    register_plugin_kinds()
    try:
        app()
    except (CLIError, UnknownKind, StoreError) as e:
        typer.echo(f"error: {e}", err=True)
        sys.exit(1)
