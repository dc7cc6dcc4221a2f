"""How certpilot reaches a Kubernetes API server: lightkube's kubeconfig handling and transport.

lightkube resolves kubeconfig files, contexts, in-cluster service-account credentials (re-reading a
rotated token), client certificates and exec plugins, and builds the authenticated TLS client.
certpilot sends its own requests through that client (see kubernetes.py for why).
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
from lightkube.config import client_adapter
from lightkube.config.kubeconfig import KubeConfig, SingleConfig
from lightkube.core.exceptions import ConfigError

DEFAULT_KUBECONFIG = Path.home() / ".kube" / "config"
# Watches are long polls: no read timeout on their streams, this one for everything else.
REQUEST_TIMEOUT_S = 30.0
# Connections kept to the API server: watches hold one each, writes share the rest.
MAX_CONNECTIONS = 64


class KubeConfigError(RuntimeError):
    """No usable Kubernetes configuration: the message says which source failed and why."""


@dataclass(frozen=True)
class KubeConnection:
    """One API server and the credentials for it; `client()` opens an authenticated HTTP client."""

    config: SingleConfig
    source: str

    @property
    def server(self) -> str:
        return str(self.config.cluster.server)

    @property
    def namespace(self) -> str:
        """The context's namespace (`default` when the context names none)."""
        return str(self.config.namespace or "default")

    def certificate_authority(self) -> bytes | None:
        """The PEM CA this connection trusts the API server with (client-go's CAData or CAFile,
        which cert-manager's inject-apiserver-ca injects); None when the config names none."""
        cluster = self.config.cluster
        if cluster.certificate_auth_data:
            return base64.b64decode(cluster.certificate_auth_data)
        if cluster.certificate_auth:
            path = Path(self.config.abs_file(cluster.certificate_auth))
            try:
                return path.read_bytes()
            except OSError as error:
                raise KubeConfigError(f"certificate-authority {path}: {error}") from None
        return None

    def client(self) -> httpx.AsyncClient:
        params = client_adapter.ConnectionParams(timeout=httpx.Timeout(REQUEST_TIMEOUT_S), trust_env=False)
        limits = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS)
        return httpx.AsyncClient(**params.httpx_params(self.config), limits=limits)


def load_connection(kubeconfig: Path | None = None, context: str | None = None) -> KubeConnection:
    """`kubeconfig` when given; else `$KUBECONFIG`, `~/.kube/config`, then the in-cluster service
    account (as kubectl and client-go look, in that order)."""
    reason = "no service account"
    if kubeconfig is not None:
        return _from_file(kubeconfig, context)
    env_path = os.environ.get("KUBECONFIG")
    if env_path:
        return _from_file(Path(env_path.split(os.pathsep)[0]), context)
    if DEFAULT_KUBECONFIG.exists():
        return _from_file(DEFAULT_KUBECONFIG, context)
    try:
        config = KubeConfig.from_service_account().get()
    except (ConfigError, KeyError) as error:
        config, reason = None, f"{type(error).__name__}: {error}"
    if config is None:
        raise KubeConfigError(
            "no Kubernetes configuration found: pass --kubeconfig PATH, set $KUBECONFIG, create "
            f"~/.kube/config, or run in a Pod with a service account ({reason})"
        )
    return KubeConnection(config, "in-cluster service account")


def _from_file(path: Path, context: str | None) -> KubeConnection:
    try:
        kubeconfig = KubeConfig.from_file(path)
    except (ConfigError, OSError, ValueError) as error:
        raise KubeConfigError(f"kubeconfig {path}: {error}") from None
    try:
        config = kubeconfig.get(context_name=context)
    except ConfigError as error:
        raise KubeConfigError(f"kubeconfig {path}: {error}") from None
    if config is None:
        raise KubeConfigError(f"kubeconfig {path}: no current-context; pass --context NAME")
    return KubeConnection(config, str(path))
