"""Which TLS Secrets a source object wants, with the hosts each must cover: an Ingress's spec.tls
entries, a Gateway's or ListenerSet's TLS listeners (cert-manager's buildCertificates and
handleGatewayAPIListeners). Entries that cannot be used are skipped, each with a reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from certpilot.api import annotations as keys
from certpilot.api.gateway import (
    TLS_MODE_PASSTHROUGH,
    TLS_MODE_TERMINATE,
    TLS_PROTOCOLS,
    Gateway,
    Listener,
    ListenerSet,
)
from certpilot.api.ingress import Ingress
from certpilot.controllers.shims.bad_config import BadConfig

ShimSource = Ingress | Gateway | ListenerSet


@dataclass
class TLSTargets:
    """hosts_by_secret: Secret name -> hosts, in the order they appear; skipped: why entries were
    left out, one message each."""

    hosts_by_secret: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def add(self, secret_name: str, hosts: Sequence[str]) -> None:
        wanted = self.hosts_by_secret.setdefault(secret_name, [])
        wanted.extend(host for host in hosts if host not in wanted)


def tls_targets(source: ShimSource) -> TLSTargets:
    if isinstance(source, Ingress):
        return ingress_tls_targets(source)
    return listener_tls_targets(source)


def ingress_tls_targets(ingress: Ingress) -> TLSTargets:
    """One target per spec.tls entry. Raises BadConfig when two entries share a secretName: each
    Secret gets one Certificate, which could not hold both."""
    entries = (ingress.spec.tls if ingress.spec else None) or []
    first_use: dict[str, int] = {}
    for index, entry in enumerate(entries):
        if entry.secret_name and entry.secret_name in first_use:
            raise BadConfig(
                f"spec.tls[{first_use[entry.secret_name]}].secretName: {entry.secret_name!r} is also used "
                f"in spec.tls[{index}]; a secret name may appear in one TLS entry only"
            )
        first_use.setdefault(entry.secret_name or "", index)
    targets = TLSTargets()
    for index, entry in enumerate(entries):
        missing = [
            name for name, value in (("hosts", entry.hosts), ("secretName", entry.secret_name)) if not value
        ]
        if missing:
            targets.skipped.append(f"Skipped spec.tls[{index}]: {' and '.join(missing)} required")
            continue
        targets.add(entry.secret_name or "", entry.hosts or [])
    return targets


def listener_tls_targets(source: Gateway | ListenerSet) -> TLSTargets:
    """One target per certificateRef of the listeners that terminate TLS (HTTPS or TLS protocol,
    not Passthrough, not named in cert-manager.io/ignore-tls-listeners); hosts of listeners sharing
    a Secret are merged."""
    ignored = _ignored_listeners(source.metadata.annotations or {})
    targets = TLSTargets()
    for index, listener in enumerate(_listeners(source)):
        if listener.protocol not in TLS_PROTOCOLS or listener.name in ignored:
            continue
        if listener.tls is not None and listener.tls.mode == TLS_MODE_PASSTHROUGH:
            continue
        problems = _listener_problems(listener, source.namespace or "")
        if problems:
            targets.skipped.append(
                f"Skipped spec.listeners[{index}] ({listener.name}): {'; '.join(problems)}"
            )
            continue
        refs = listener.tls.certificate_refs if listener.tls is not None else None
        for ref in refs or ():
            targets.add(ref.name, [listener.hostname or ""])
    return targets


def secret_names_in_use(source: ShimSource) -> set[str]:
    """Every Secret the source names in any TLS entry or listener, usable or not: a Certificate for
    one of these is kept (cert-manager's secretNameUsedIn)."""
    if isinstance(source, Ingress):
        return {
            entry.secret_name
            for entry in (source.spec.tls if source.spec else None) or ()
            if entry.secret_name
        }
    return {
        ref.name
        for listener in _listeners(source)
        if listener.tls is not None
        for ref in listener.tls.certificate_refs or ()
    }


def _listeners(source: Gateway | ListenerSet) -> list[Listener]:
    return (source.spec.listeners if source.spec else None) or []


def _ignored_listeners(annotations: Mapping[str, str]) -> set[str]:
    return {
        name.strip() for name in annotations.get(keys.IGNORE_TLS_LISTENERS, "").split(",") if name.strip()
    }


def _listener_problems(listener: Listener, namespace: str) -> list[str]:
    problems = []
    if not listener.hostname:
        problems.append("hostname required")
    if listener.tls is None:
        return [*problems, "tls required"]
    if not listener.tls.certificate_refs:
        problems.append("tls.certificateRefs required")
    for index, ref in enumerate(listener.tls.certificate_refs or ()):
        where = f"tls.certificateRefs[{index}]"
        if ref.group not in (None, "", "core"):
            problems.append(f"{where}.group {ref.group!r} not supported: only core Secrets")
        if ref.kind not in (None, "", "Secret"):
            problems.append(f"{where}.kind {ref.kind!r} not supported: only Secret")
        if ref.namespace not in (None, namespace):
            problems.append(f"{where}.namespace {ref.namespace!r}: cross-namespace Secrets are not allowed")
    if listener.tls.mode not in (None, TLS_MODE_TERMINATE):
        problems.append(f"tls.mode {listener.tls.mode!r} not supported: only {TLS_MODE_TERMINATE}")
    return problems
