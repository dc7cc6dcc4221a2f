"""How solver objects are built beyond what the issuer's solver says: cert-manager's
--acme-http01-solver-* flags, with its defaults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from certpilot import __version__
from certpilot.acme.solvers.http01_cluster.identity import IDENTITY_LABELS


@dataclass(frozen=True)
class SolverSettings:
    # certpilot's own image (`deploy/kubernetes` runs it), whose entrypoint is `certpilot`.
    image: str = f"certpilot:{__version__}"
    resource_request_cpu: str = "10m"
    resource_request_memory: str = "64Mi"
    resource_limits_cpu: str = "100m"
    resource_limits_memory: str = "64Mi"
    run_as_non_root: bool = True
    # Added to every solver object; the three identity labels cannot be overridden this way.
    extra_labels: Mapping[str, str] = field(default_factory=dict)
    runtime_class_name: str | None = None

    def added_labels(self) -> dict[str, str]:
        return {key: value for key, value in self.extra_labels.items() if key not in IDENTITY_LABELS}
