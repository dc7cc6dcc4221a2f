"""How certpilot reaches a Kubernetes API server: which one, and with which credentials.

lightkube resolves kubeconfig files, contexts, in-cluster service-account configuration, the
cluster's CA and client certificates. Requests go over aiohttp (kube_transport.py): a request costs
the client about a quarter of the CPU it costs through httpx, measured against kube-apiserver here
(docs/kubernetes.md).
"""

from __future__ import annotations

import base64
import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from lightkube.config.client_adapter import verify_cluster
from lightkube.config.kubeconfig import KubeConfig, SingleConfig
from lightkube.config.models import User
from lightkube.core.exceptions import ConfigError

DEFAULT_KUBECONFIG = Path.home() / ".kube" / "config"


class KubeConfigError(RuntimeError):
    """No usable Kubernetes configuration: the message says which source failed and why."""


@dataclass(frozen=True)
class KubeConnection:
    """One API server and the credentials for it (used by kube_transport.py)."""

    # Holds the user's credentials: kept out of repr (logs, tracebacks, test output).
    config: SingleConfig = field(repr=False)
    source: str

    @property
    def server(self) -> str:
        return str(self.config.cluster.server)

    @property
    def namespace(self) -> str:
        """The context's namespace (`default` when the context names none)."""
        return str(self.config.namespace or "default")

    def ssl_context(self) -> ssl.SSLContext:
        """Trusts the cluster's CA (or the system's), presents the user's client certificate."""
        cluster, user = self.config.cluster, self.config.user or User()
        return verify_cluster(cluster, user, self.config.abs_file, trust_env=False)

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
