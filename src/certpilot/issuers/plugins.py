"""External issuers: installed packages that sign for their own API group.

A plugin package declares, in its pyproject.toml,

    [project.entry-points."certpilot.issuers"]
    localca = "my_package:plugin"

where `plugin` is an `IssuerPlugin` (or a zero-argument callable returning one). certpilot loads
every plugin when the daemon starts and runs its requests through the same lifecycle as the
built-in issuers (approval, readiness gating, conditions, retries, events).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, get_args

from certpilot.api.issuer import IssuerStatus
from certpilot.api.meta import Resource
from certpilot.api.registry import register
from certpilot.issuers.base import IssuerBackend

ENTRY_POINT_GROUP = "certpilot.issuers"
# The group of certpilot's own issuers; a plugin may not claim it.
BUILTIN_GROUP = "cert-manager.io"


class PluginLoadError(RuntimeError):
    """An installed plugin cannot be used; the message names the entry point and what is wrong."""


@dataclass(frozen=True)
class IssuerPlugin:
    """What a plugin gives certpilot.

    group: the API group its issuer resources live in (what a request's issuerRef.group names).
    kinds: its issuer resource models: Resource subclasses with their own `spec` and
      `status: certpilot.api.issuer.IssuerStatus | None` (where the Ready condition is kept).
    backend: checks and signs for every one of those kinds.
    """

    group: str
    kinds: tuple[type[Resource], ...]
    backend: IssuerBackend

    def model_for(self, kind: str) -> type[Resource] | None:
        return next((model for model in self.kinds if kind == model.KIND), None)


def group_of(model: type[Resource]) -> str:
    return model.API_VERSION.rpartition("/")[0]


def has_issuer_status(model: type[Resource]) -> bool:
    field = model.model_fields.get("status")
    if field is None:
        return False
    return field.annotation is IssuerStatus or IssuerStatus in get_args(field.annotation)


def plugin_problem(plugin: IssuerPlugin) -> str | None:
    """Why this plugin cannot be served, or None. The first reason wins."""
    if plugin.group in ("", BUILTIN_GROUP):
        return f"group {plugin.group!r} is reserved for certpilot's own issuers"
    if not plugin.kinds:
        return "it declares no issuer kinds"
    for model in plugin.kinds:
        if group_of(model) != plugin.group:
            return f"kind {model.KIND} has apiVersion {model.API_VERSION!r}, outside group {plugin.group!r}"
        if not has_issuer_status(model):
            return f"kind {model.KIND} needs `status: IssuerStatus | None` to hold its Ready condition"
    if not all(callable(getattr(plugin.backend, method, None)) for method in ("check", "sign")):
        return "its backend has no check/sign methods"
    return None


def plugin_from_entry_point(entry_point: EntryPoint) -> IssuerPlugin:
    """Load one entry point into a checked IssuerPlugin whose kinds are registered API models."""
    where = f"entry point {entry_point.name!r} ({entry_point.value}) in group {ENTRY_POINT_GROUP!r}"
    try:
        loaded: Any = entry_point.load()
    except Exception as e:
        raise PluginLoadError(f"{where} failed to import: {type(e).__name__}: {e}") from e
    plugin = loaded if isinstance(loaded, IssuerPlugin) else loaded() if callable(loaded) else loaded
    if not isinstance(plugin, IssuerPlugin):
        raise PluginLoadError(f"{where} is not an IssuerPlugin nor a callable returning one")
    problem = plugin_problem(plugin)
    if problem is not None:
        raise PluginLoadError(f"{where}: {problem}")
    for model in plugin.kinds:
        register(model)
    return plugin


def load_plugins(found: Iterable[EntryPoint] | None = None) -> list[IssuerPlugin]:
    """Every installed plugin (or those of `found`), in entry-point order."""
    chosen = entry_points(group=ENTRY_POINT_GROUP) if found is None else found
    return [plugin_from_entry_point(entry_point) for entry_point in chosen]
