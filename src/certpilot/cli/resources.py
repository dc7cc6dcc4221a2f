"""kubectl's verbs over the store: apply, get, describe, delete."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from certpilot.api.loader import ManifestError, load_path
from certpilot.api.meta import Resource
from certpilot.api.registry import UnknownKind, kind_named
from certpilot.api.validation import validate_update
from certpilot.cli.context import open_store, resolve_store_path
from certpilot.cli.describe import describe_object
from certpilot.cli.options import CLIError, NamespaceOption, StoreOption
from certpilot.cli.output import as_json, as_yaml, print_table
from certpilot.runtime.clock import SystemClock
from certpilot.store.errors import NotFound
from certpilot.store.protocol import Store

DEFAULT_NAMESPACE = "default"


def resolve_kind(name: str) -> type[Resource]:
    try:
        return kind_named(name)
    except UnknownKind as e:
        raise CLIError(str(e)) from None


def namespace_for(kind: type[Resource], namespace: str) -> str | None:
    return namespace if kind.NAMESPACED else None


def display_name(obj: Resource) -> str:
    group = obj.API_VERSION.rpartition("/")[0]
    return f"{obj.SINGULAR}.{group}/{obj.name}" if group else f"{obj.SINGULAR}/{obj.name}"


# --- apply -----------------------------------------------------------------------------------


def _comparable(obj: Resource) -> dict[str, Any]:
    """What `apply` compares: everything the user declares (spec, data, labels, annotations...)."""
    body = obj.to_dict()
    body.pop("status", None)
    meta = body.get("metadata", {})
    body["metadata"] = {k: meta[k] for k in ("labels", "annotations", "ownerReferences") if k in meta}
    return body


def _merge_for_update(existing: Resource, desired: Resource) -> Resource:
    """desired's declared content on existing's identity (uid, resourceVersion, finalizers...)."""
    merged = desired.model_copy(deep=True)
    keep = existing.metadata
    merged.metadata = merged.metadata.model_copy(
        update={
            "uid": keep.uid,
            "resource_version": keep.resource_version,
            "generation": keep.generation,
            "creation_timestamp": keep.creation_timestamp,
            "finalizers": merged.metadata.finalizers
            if merged.metadata.finalizers is not None
            else keep.finalizers,
            "owner_references": merged.metadata.owner_references or keep.owner_references,
            "deletion_timestamp": keep.deletion_timestamp,
        }
    )
    if hasattr(existing, "status"):
        merged.status = existing.status  # type: ignore[attr-defined]
    return merged


async def apply_objects(store: Store, objects: Sequence[Resource]) -> list[str]:
    """Create or update each object; returns kubectl-style result lines. Validates every update
    before writing any, so an invalid change leaves the store untouched."""
    plan: list[tuple[Resource, Resource | None]] = []
    for obj in objects:
        try:
            existing = await store.get(type(obj), obj.name, namespace_for(type(obj), obj.namespace or ""))
        except NotFound:
            existing = None
        if existing is not None:
            merged = _merge_for_update(existing, obj)
            if errors := validate_update(existing, merged):
                details = "; ".join(str(e) for e in errors)
                raise CLIError(f"{display_name(obj)}: {details}")
        plan.append((obj, existing))
    lines = []
    for obj, existing in plan:
        if existing is None:
            created = obj.model_copy(deep=True)
            created.metadata.resource_version = None
            created.metadata.uid = None
            await store.create(created)
            lines.append(f"{display_name(obj)} created")
        elif _comparable(existing) == _comparable(obj):
            lines.append(f"{display_name(obj)} unchanged")
        else:
            await store.update(_merge_for_update(existing, obj))
            lines.append(f"{display_name(obj)} configured")
    return lines


def apply_command(
    filename: Annotated[list[str], typer.Option("--filename", "-f", help="File, directory, or - for stdin.")],
    store: StoreOption = None,
) -> None:
    """Create or update resources from YAML/JSON manifests."""

    objects: list[Resource] = []
    try:
        for source in filename:
            objects.extend(load_path(source if source == "-" else Path(source)))
    except ManifestError as e:
        raise CLIError(str(e)) from None
    except OSError as e:
        raise CLIError(f"cannot read {e.filename}: {e.strerror}") from None

    async def run() -> list[str]:
        async with open_store(resolve_store_path(store)) as s:
            return await apply_objects(s, objects)

    for line in asyncio.run(run()):
        typer.echo(line)


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
) -> None:
    """List resources, or show one."""

    resource = resolve_kind(kind)
    if output not in (None, "wide", "yaml", "json"):
        raise CLIError(f"unknown output format {output!r}; allowed: wide, yaml, json")

    async def fetch() -> list[Resource]:
        async with open_store(resolve_store_path(store)) as s:
            if name is not None:
                try:
                    return [await s.get(resource, name, namespace_for(resource, namespace))]
                except NotFound:
                    raise CLIError(
                        f'{resource.PLURAL}.{resource.API_VERSION.rpartition("/")[0]} "{name}" not found'
                    ) from None
            ns = None if all_namespaces else namespace_for(resource, namespace)
            items, _ = await s.list(resource, namespace=ns, label_selector=selector)
            return sorted(items, key=lambda o: (o.metadata.namespace or "", o.name))

    objects = asyncio.run(fetch())
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
) -> None:
    """Show one resource: spec, status, conditions and its events."""

    resource = resolve_kind(kind)

    async def run() -> str:
        async with open_store(resolve_store_path(store)) as s:
            try:
                obj = await s.get(resource, name, namespace_for(resource, namespace))
            except NotFound:
                raise CLIError(f'{resource.PLURAL} "{name}" not found') from None
            return await describe_object(s, obj, SystemClock().now())

    typer.echo(asyncio.run(run()))


def delete_command(
    kind: Annotated[str, typer.Argument()],
    names: Annotated[list[str], typer.Argument()],
    namespace: NamespaceOption = DEFAULT_NAMESPACE,
    store: StoreOption = None,
) -> None:
    """Delete resources by name (dependents go too, through their ownerReferences)."""

    resource = resolve_kind(kind)

    async def run() -> list[str]:
        lines = []
        async with open_store(resolve_store_path(store)) as s:
            for name in names:
                try:
                    await s.delete(resource, name, namespace_for(resource, namespace))
                except NotFound:
                    raise CLIError(f'{resource.PLURAL} "{name}" not found') from None
                group = resource.API_VERSION.rpartition("/")[0]
                lines.append(f'{resource.SINGULAR}{"." + group if group else ""} "{name}" deleted')
        return lines

    for line in asyncio.run(run()):
        typer.echo(line)
