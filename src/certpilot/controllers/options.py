"""Daemon-wide settings (flags of `certpilot run`): what the controllers read, and how the daemon runs
them. The defaults here are the only ones: the command line reads them from these classes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from certpilot.acme.http_timeout import DEFAULT_ACME_HTTP_TIMEOUT_SECONDS
from certpilot.controllers.certificates.copied_annotations import (
    DEFAULT_COPIED_ANNOTATION_PREFIXES,
)
from certpilot.runtime.memory.restart_to_shrink import (
    DEFAULT_MIN_SHED_OBJECTS,
    DEFAULT_RSS_FACTOR,
    RestartPolicy,
)


@dataclass(frozen=True)
class ControllerOptions:
    # Where ClusterIssuers' referenced Secrets live (cert-manager's --cluster-resource-namespace).
    cluster_resource_namespace: str = "cert-manager"
    # Approve CertificateRequests for certpilot's own issuer types automatically.
    auto_approve: bool = True
    # Extra signer names ("<group>/<kind>" or "<group>/*") auto-approved besides the built-ins.
    approve_signers: tuple[str, ...] = ()
    # Failed issuance backoff: initial * 2^(attempts-1), capped.
    issuance_backoff_initial: timedelta = timedelta(hours=1)
    issuance_backoff_max: timedelta = timedelta(hours=32)
    # Standalone: mirror managed Secrets to files under this directory (None = off).
    output_dir: Path | None = None
    # Command run after a mirrored Secret changes (paths in its environment).
    output_hook: str | None = None
    # Seconds the output hook may run before it is killed and reported as failed.
    output_hook_timeout: float = 30.0
    # Certificate annotations copied to its CertificateRequests and Orders ("*" all, "-p" none
    # starting with p): cert-manager's --copied-annotation-prefixes.
    copied_annotation_prefixes: tuple[str, ...] = DEFAULT_COPIED_ANNOTATION_PREFIXES
    # cert-manager's --enable-certificate-owner-ref: Secrets owned by (deleted with) their Certificate.
    enable_certificate_owner_ref: bool = False
    # ACME
    max_concurrent_challenges: int = 60
    dns01_recursive_nameservers: tuple[str, ...] = ()
    dns01_recursive_nameservers_only: bool = False
    dns01_check_retry_period: timedelta = timedelta(seconds=10)
    http01_listen: tuple[str, ...] = (":80",)
    tlsalpn01_listen: tuple[str, ...] = ()
    # Seconds one HTTP call to an ACME server may take.
    acme_http_timeout: int = DEFAULT_ACME_HTTP_TIMEOUT_SECONDS
    # groupName -> base URL for DNS-01 webhook solvers in standalone.
    dns01_webhook_urls: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DaemonOptions:
    # host:port of /metrics, /healthz and /readyz (None = off).
    metrics_listen: str | None = "127.0.0.1:9402"
    # Workers per controller. Eight keep enough writes in flight for the store's group commit to
    # batch them (docs/decisions.md, "Eight workers per controller").
    workers: int = 8
    # Threads for blocking work (key generation, the ACME and Vault clients).
    thread_pool_size: int = 8
    # Keep the store in step with this folder of manifests (None = off).
    manifests: Path | None = None
    # In that folder, skip documents of kinds certpilot does not serve instead of refusing their file.
    ignore_unknown_kinds: bool = False
    # The key that encrypts Secrets in the store (None = stored plain).
    encryption_key_file: Path | None = None
    # When the daemon restarts itself to give back the memory of deleted objects (factor 0: never).
    memory_restart_factor: float = DEFAULT_RSS_FACTOR
    memory_restart_min_objects: int = DEFAULT_MIN_SHED_OBJECTS

    def memory_restart_policy(self) -> RestartPolicy | None:
        """Raises ValueError naming the figure that is out of range."""
        if not self.memory_restart_factor:
            return None
        return RestartPolicy(self.memory_restart_factor, self.memory_restart_min_objects)
