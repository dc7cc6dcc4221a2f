"""kubectl's verbs over the store: apply, get, describe, delete."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from certpilot.api.defaults import DEFAULT_NAMESPACE
from certpilot.api.meta import Resource
from certpilot.api.registry import UnknownKind, kind_named
from certpilot.cli.context import StoreTarget, get_or_fail, namespace_for, qualified_name, with_store
from certpilot.cli.describe import describe_object
from certpilot.cli.errors import CLIError
from certpilot.cli.options import (
    ContextOption,
    EncryptionKeyOption,
    KubeconfigOption,
    NamespaceOption,
    StoreOption,
)
from certpilot.cli.output import as_json, as_yaml, print_table
from certpilot.runtime.clock import SystemClock
from certpilot.store.errors import NotFound
from certpilot.store.protocol import Store

if TYPE_CHECKING:
    from certpilot.api.loader import SkippedDocument

IGNORE_UNKNOWN_KINDS_HINT = (
    "Nothing was applied. To apply the rest and skip documents of kinds certpilot does not serve, "
    "use --ignore-unknown-kinds."
)


def resolve_kind(name: str) -> type[Resource]:
    try:
        return kind_named(name)
    except UnknownKind as e:
        raise CLIError(str(e)) from None


def apply_command(
    filename: Annotated[list[str], typer.Option("--filename", "-f", help="File, directory, or - for stdin.")],
    ignore_unknown_kinds: Annotated[
        bool,
        typer.Option(help="Skip documents of kinds certpilot does not serve (a Gateway...), with a notice."),
    ] = False,
    store: StoreOption = None,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
    encryption_key_file: EncryptionKeyOption = None,
) -> None:
    """Create or update resources from YAML/JSON manifests."""
    # Imported by the command, not the module: manifest validation (cryptography.x509, croniter) would
    # slow down get, describe and delete.
    from certpilot.api.loader import ManifestError, UnknownKindInManifest, load_path
    from certpilot.store.apply import apply_objects

    def notice(skipped: SkippedDocument) -> None:
        typer.echo(f"notice: {skipped}", err=True)

    objects: list[Resource] = []
    try:
        for source in filename:
            path = source if source == "-" else Path(source)
            objects.extend(load_path(path, notice if ignore_unknown_kinds else None))
    except UnknownKindInManifest as e:
        raise CLIError(f"{e}\n{IGNORE_UNKNOWN_KINDS_HINT}") from None
    except ManifestError as e:
        raise CLIError(str(e)) from None
    except OSError as e:
        raise CLIError(f"cannot read {e.filename}: {e.strerror}") from None

    target = StoreTarget(store, kubeconfig, context, encryption_key_file)
    for result in with_store(lambda s: apply_objects(s, objects), target):
        typer.echo(str(result))


# --- get -------------------------------------------------------------------------------------


def get_command(
    kind: Annotated[
        str, typer.Argument(help="Resource type: certificate|cert, certificaterequest|cr, issuer, ...")
    ],
    name: Annotated[str | None, typer.Argument()] = None,
    namespace: NamespaceOption = DEFAULT_NAMESPACE,
    all_namespaces: Annotated[bool, typer.Option("--all-namespaces", "-A")] = False,
    selector: Annotated[str | None, typer.Option("--selector", "-l", help="Label selector.")] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", help="wide | yaml | json")] = None,
    store: StoreOption = None,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
) -> None:
    """List resources, or show one."""

    resource = resolve_kind(kind)
    if output not in (None, "wide", "yaml", "json"):
        raise CLIError(f"unknown output format {output!r}; allowed: wide, yaml, json")

    async def fetch(s: Store) -> list[Resource]:
        if name is not None:
            return [await get_or_fail(s, resource, name, namespace)]
        ns = None if all_namespaces else namespace_for(resource, namespace)
        items, _ = await s.list(resource, namespace=ns, label_selector=selector)
        return sorted(items, key=lambda o: (o.metadata.namespace or "", o.name))

    objects = with_store(fetch, StoreTarget(store, kubeconfig, context))
    as_list = name is None
    if output == "yaml":
        sys.stdout.write(as_yaml(objects, as_list))
    elif output == "json":
        sys.stdout.write(as_json(objects, as_list) + "\n")
    elif not objects:
        where = "" if all_namespaces or not resource.NAMESPACED else f" in {namespace} namespace"
        typer.echo(f"No resources found{where}.", err=True)
    else:
        print_table(
            resource.KIND,
            objects,
            all_namespaces=all_namespaces and resource.NAMESPACED,
            wide=output == "wide",
            now=SystemClock().now(),
        )


# --- describe / delete -----------------------------------------------------------------------


def describe_command(
    kind: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Argument()],
    namespace: NamespaceOption = DEFAULT_NAMESPACE,
    store: StoreOption = None,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
) -> None:
    """Show one resource: spec, status, conditions and its events."""

    resource = resolve_kind(kind)

    async def describe(s: Store) -> str:
        return await describe_object(s, await get_or_fail(s, resource, name, namespace), SystemClock().now())

    typer.echo(with_store(describe, StoreTarget(store, kubeconfig, context)))


def delete_command(
    kind: Annotated[str, typer.Argument()],
    names: Annotated[list[str], typer.Argument()],
    namespace: NamespaceOption = DEFAULT_NAMESPACE,
    store: StoreOption = None,
    kubeconfig: KubeconfigOption = None,
    context: ContextOption = None,
) -> None:
    """Delete resources by name (dependents go too, through their ownerReferences)."""

    resource = resolve_kind(kind)

    async def delete(s: Store) -> None:
        for name in names:
            try:
                await s.delete(resource, name, namespace_for(resource, namespace))
            except NotFound:
                raise CLIError(f'{qualified_name(resource)} "{name}" not found') from None
            typer.echo(f'{qualified_name(resource, singular=True)} "{name}" deleted')

    with_store(delete, StoreTarget(store, kubeconfig, context))
