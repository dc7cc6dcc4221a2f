"""Which IssuerBackend serves an Issuer: chosen by the issuer type set in its spec.

Built-in types are registered in `builtin_backends`; adding one is one `register` line there.
Each is registered as a loader: a type's module (and its client stack: acme/josepy, hvac, vcert...)
is imported when an issuer of that type is first served, so a daemon with only CA issuers never
loads the others. External issuers (other API groups) are plugins loaded from the `certpilot.issuers`
entry-point group (see issuers/plugins.py): each serves its own group and issuer kinds with one backend.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import entry_points

from certpilot.acme.http_timeout import DEFAULT_ACME_HTTP_TIMEOUT_SECONDS
from certpilot.api.issuer import AnyIssuer, ClusterIssuer, Issuer
from certpilot.api.meta import Resource
from certpilot.issuers.base import IssuerBackend
from certpilot.issuers.ca import CAIssuerBackend
from certpilot.issuers.plugins import (
    ENTRY_POINT_GROUP,
    IssuerPlugin,
    PluginLoadError,
    plugin_from_entry_point,
)
from certpilot.issuers.selfsigned import SelfSignedIssuerBackend

log = logging.getLogger(__name__)

# issuerRef.group of the issuers certpilot signs for; requests for other groups are left alone.
SERVED_GROUP = "cert-manager.io"


class UnknownIssuerType(LookupError):
    """An issuer sets no issuer type certpilot serves."""


BackendLoader = Callable[[], IssuerBackend]


class IssuerBackends:
    """issuer type (the IssuerSpec field name as in YAML: `selfSigned`, `ca`, `acme`...) -> backend."""

    def __init__(self) -> None:
        self._loaders: dict[str, BackendLoader] = {}
        self._by_type: dict[str, IssuerBackend] = {}
        self._plugins: list[IssuerPlugin] = []

    def register(self, issuer_type: str, backend: IssuerBackend) -> None:
        self._loaders.pop(issuer_type, None)
        self._by_type[issuer_type] = backend

    def register_loader(self, issuer_type: str, load: BackendLoader) -> None:
        """`load` imports and builds the backend when an issuer of this type is first served."""
        self._by_type.pop(issuer_type, None)
        self._loaders[issuer_type] = load

    def types(self) -> list[str]:
        return sorted({*self._by_type, *self._loaders})

    def loaded_types(self) -> list[str]:
        """The types whose backend has been built (and its module imported) so far."""
        return sorted(self._by_type)

    def register_plugin(self, plugin: IssuerPlugin) -> None:
        self._plugins.append(plugin)

    def plugins(self) -> list[IssuerPlugin]:
        return list(self._plugins)

    def load_entry_points(self) -> None:
        """Register every installed plugin; a broken one is reported and skipped, so the
        built-in issuers keep working."""
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            try:
                self.register_plugin(plugin_from_entry_point(entry_point))
            except PluginLoadError as e:
                log.error("issuer plugin not loaded", extra={"reason": str(e)})

    def serves(self, group: str | None) -> bool:
        """Whether requests with this issuerRef.group are signed here (built-in or a plugin's)."""
        return serves_group(group) or any(p.group == group for p in self._plugins)

    def plugin_model_for(self, group: str | None, kind: str) -> type[Resource] | None:
        """The plugin issuer model an issuerRef names, or None (built-in groups, unknown kinds)."""
        for plugin in self._plugins:
            if plugin.group == group and (model := plugin.model_for(kind)) is not None:
                return model
        return None

    def _plugin_backend(self, issuer: Resource) -> IssuerBackend | None:
        return next((p.backend for p in self._plugins if type(issuer) in p.kinds), None)

    def type_of(self, issuer: AnyIssuer) -> str:
        """The one registered issuer type configured in issuer.spec."""
        configured = issuer.spec.types()
        served = [t for t in configured if t in self._by_type or t in self._loaders]
        if not served:
            wanted = ", ".join(configured) or "none"
            raise UnknownIssuerType(
                f"issuer {issuer.name!r} configures issuer type(s) {wanted}; "
                f"certpilot serves: {', '.join(self.types())}"
            )
        return served[0]

    def backend_for(self, issuer: Resource) -> IssuerBackend:
        plugin_backend = self._plugin_backend(issuer)
        if plugin_backend is not None:
            return plugin_backend
        if not isinstance(issuer, Issuer | ClusterIssuer):
            raise UnknownIssuerType(f"{issuer.KIND} {issuer.name!r} is served by no installed issuer plugin")
        return self._backend_of_type(self.type_of(issuer))

    def _backend_of_type(self, issuer_type: str) -> IssuerBackend:
        backend = self._by_type.get(issuer_type)
        if backend is None:
            backend = self._by_type[issuer_type] = self._loaders.pop(issuer_type)()
        return backend


def acme_backend(http_timeout: int) -> IssuerBackend:
    from certpilot.issuers.acme import ACMEIssuerBackend

    return ACMEIssuerBackend(http_timeout)


def vault_backend() -> IssuerBackend:
    from certpilot.issuers.vault import VaultIssuerBackend

    return VaultIssuerBackend()


def venafi_backend() -> IssuerBackend:
    from certpilot.issuers.venafi import VenafiIssuerBackend

    return VenafiIssuerBackend()


def builtin_backends(acme_http_timeout: int = DEFAULT_ACME_HTTP_TIMEOUT_SECONDS) -> IssuerBackends:
    """Every built-in issuer type plus installed plugins. SelfSigned and CA share the daemon's own
    crypto stack, so they are built at once; the others are loaded on first use."""
    backends = IssuerBackends()
    backends.register("selfSigned", SelfSignedIssuerBackend())
    backends.register("ca", CAIssuerBackend())
    backends.register_loader("vault", vault_backend)
    backends.register_loader("venafi", venafi_backend)
    backends.register_loader("acme", lambda: acme_backend(acme_http_timeout))
    backends.load_entry_points()
    return backends


def serves_group(group: str | None) -> bool:
    """Whether certpilot signs requests whose issuerRef has this group (unset means cert-manager.io)."""
    return group in (None, "", SERVED_GROUP)
