"""How every CLI command finds and opens the store."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from certpilot.api.meta import Resource
from certpilot.cli.errors import CLIError
from certpilot.store.errors import NotFound
from certpilot.store.private_file import make_private_directories
from certpilot.store.protocol import Store
from certpilot.store.sealing import ENCRYPTION_KEY_ENV, Sealing
from certpilot.store.sqlite import SQLiteStore

STORE_ENV = "CERTPILOT_STORE"

T = TypeVar("T")
R = TypeVar("R", bound=Resource)


def default_store_path() -> Path:
    """`$CERTPILOT_STORE`, else `$XDG_DATA_HOME/certpilot/store.db` (~/.local/share/...)."""
    if env := os.environ.get(STORE_ENV):
        return Path(env)
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "certpilot" / "store.db"


def resolve_store_path(option: Path | None) -> Path:
    return option if option is not None else default_store_path()


@dataclass(frozen=True)
class StoreTarget:
    """Which store a command works on: a Kubernetes cluster when a kubeconfig is given, else the
    embedded store file."""

    path: Path | None = None
    kubeconfig: Path | None = None
    context: str | None = None
    # Else $CERTPILOT_ENCRYPTION_KEY_FILE: every command can read a store whose Secrets are sealed.
    encryption_key_file: Path | None = None


@asynccontextmanager
async def open_store(target: StoreTarget) -> AsyncIterator[Store]:
    store: Store
    if target.kubeconfig is not None:
        # Here, not at module level: lightkube and aiohttp cost every embedded-store command ~0.3 s.
        from certpilot.store.kube_connection import KubeConfigError, load_connection
        from certpilot.store.kubernetes import KubernetesStore

        try:
            store = KubernetesStore(load_connection(target.kubeconfig, target.context))
        except KubeConfigError as e:
            raise CLIError(str(e)) from None
    else:
        path = resolve_store_path(target.path)
        make_private_directories(path.parent)
        key_file = target.encryption_key_file or _path_from_env(ENCRYPTION_KEY_ENV)
        sqlite_store = SQLiteStore(path, sealing=Sealing.from_key_file(key_file))
        try:
            await sqlite_store.check_open()
        except BaseException:
            await sqlite_store.close()
            raise
        store = sqlite_store
    try:
        yield store
    finally:
        await store.close()


def with_store(work: Callable[[Store], Awaitable[T]], target: StoreTarget) -> T:
    """Run one command's store work to completion (every command is one short asyncio run)."""

    async def go() -> T:
        async with open_store(target) as s:
            return await work(s)

    return asyncio.run(go())


def namespace_for(kind: type[Resource], namespace: str | None) -> str | None:
    return namespace if kind.NAMESPACED else None


def qualified_name(kind: type[Resource], *, singular: bool = False) -> str:
    """kubectl's `certificates.cert-manager.io` (`secrets` for core kinds)."""
    group = kind.API_VERSION.rpartition("/")[0]
    base = kind.SINGULAR if singular else kind.PLURAL
    return f"{base}.{group}" if group else base


async def get_or_fail(store: Store, kind: type[R], name: str, namespace: str | None) -> R:
    try:
        return await store.get(kind, name, namespace_for(kind, namespace))
    except NotFound:
        raise CLIError(f'{qualified_name(kind)} "{name}" not found') from None


def _path_from_env(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None
