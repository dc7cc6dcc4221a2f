"""Settings of the Kubernetes runtime (flags of `certpilot run --kubeconfig | --kubernetes`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from certpilot.acme.solvers.http01_cluster.settings import SolverSettings


@dataclass(frozen=True)
class KubernetesOptions:
    """`certpilot run` flags of the Kubernetes runtime, with cert-manager's defaults."""

    # None: $KUBECONFIG, ~/.kube/config, then the in-cluster service account.
    kubeconfig: Path | None = None
    context: str | None = None
    # Watch and reconcile one namespace only (None: all).
    namespace: str | None = None
    leader_elect: bool = True
    leader_election_namespace: str = "kube-system"
    leader_election_lease_duration: float = 60.0
    leader_election_renew_deadline: float = 40.0
    leader_election_retry_period: float = 15.0
    # The admission webhook (every replica serves it, leader or not); None: off.
    webhook_listen: str | None = None
    # DNS names and IP addresses its serving certificate names.
    webhook_dns_names: tuple[str, ...] = ()
    # namespace/name of the Secret that holds the webhook's CA (made when missing).
    webhook_ca_secret: str = "cert-manager/certpilot-webhook-ca"  # noqa: S105 - a Secret's name
    # The CA injector (cert-manager runs it as its separate cainjector binary, on by default).
    enable_cainjector: bool = True
    # Let the CA injector read Certificates for inject-ca-from (cert-manager's flag of this name).
    enable_certificates_data_source: bool = True
    # Which kinds the CA injector serves (cert-manager's --enable-<plural>-injectable flags): one
    # turned off is neither watched nor written, so certpilot needs no RBAC on it.
    enable_validatingwebhookconfigurations_injectable: bool = True
    enable_mutatingwebhookconfigurations_injectable: bool = True
    enable_customresourcedefinitions_injectable: bool = True
    enable_apiservices_injectable: bool = True
    # How HTTP-01 solver Pods (and their Services, Ingresses, HTTPRoutes) are built.
    http01_solver: SolverSettings = field(default_factory=SolverSettings)
