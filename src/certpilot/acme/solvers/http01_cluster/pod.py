"""The solver Pod: one container running `certpilot acmesolver` for one token, locked down as
cert-manager locks its acmesolver down, then merged with the solver's `podTemplate`."""

from __future__ import annotations

from typing import Any

from certpilot.acme.solvers.http01_cluster.identity import SOLVER_PORT, solver_labels, solver_metadata
from certpilot.acme.solvers.http01_cluster.settings import SolverSettings
from certpilot.api.acme import Challenge
from certpilot.api.acme_issuer import ACMEChallengeSolverHTTP01IngressPodTemplate
from certpilot.api.pod import Pod

POD_ANNOTATIONS = {
    # Istio's sidecar would take the CA's request before the solver does.
    "sidecar.istio.io/inject": "false",
    # A solver Pod holds nothing worth keeping a node alive for.
    "cluster-autoscaler.kubernetes.io/safe-to-evict": "true",
}


def solver_command(challenge: Challenge) -> list[str]:
    """The container's arguments: `certpilot acmesolver ...` (the image's entrypoint is `certpilot`)."""
    spec = challenge.spec
    return [
        "acmesolver",
        f"--listen-port={SOLVER_PORT}",
        f"--domain={spec.dns_name}",
        f"--token={spec.token}",
        f"--key={spec.key}",
    ]


def pod_templates_of(challenge: Challenge) -> list[ACMEChallengeSolverHTTP01IngressPodTemplate]:
    """The solver's podTemplates: the ingress one, then the gatewayHTTPRoute one (cert-manager
    merges both when both are set)."""
    http01 = challenge.spec.solver.http01
    if http01 is None:
        return []
    candidates = [
        http01.ingress.pod_template if http01.ingress is not None else None,
        http01.gateway_http_route.pod_template if http01.gateway_http_route is not None else None,
    ]
    return [template for template in candidates if template is not None]


def solver_pod(challenge: Challenge, settings: SolverSettings) -> Pod:
    """The Pod answering this Challenge's token, as cert-manager builds it."""
    spec: dict[str, Any] = {
        "automountServiceAccountToken": False,
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "restartPolicy": "OnFailure",
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": settings.run_as_non_root,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {
                "name": "acmesolver",
                "image": settings.image,
                "imagePullPolicy": "IfNotPresent",
                "args": solver_command(challenge),
                "resources": {
                    "requests": {
                        "cpu": settings.resource_request_cpu,
                        "memory": settings.resource_request_memory,
                    },
                    "limits": {
                        "cpu": settings.resource_limits_cpu,
                        "memory": settings.resource_limits_memory,
                    },
                },
                "ports": [{"name": "http", "containerPort": SOLVER_PORT}],
                "securityContext": {
                    "readOnlyRootFilesystem": True,
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                },
            }
        ],
    }
    if settings.runtime_class_name:
        spec["runtimeClassName"] = settings.runtime_class_name
    labels = {**solver_labels(challenge), **settings.added_labels()}
    pod = Pod(metadata=solver_metadata(challenge, labels, dict(POD_ANNOTATIONS)), spec=spec)
    for template in pod_templates_of(challenge):
        merge_pod_template(pod, template)
    return pod


def merge_pod_template(pod: Pod, template: ACMEChallengeSolverHTTP01IngressPodTemplate) -> None:
    """cert-manager's merge, field by field: maps are added to, lists appended to, affinity,
    priority class and service account replaced when set, and a securityContext replaces the
    default one whole."""
    if template.metadata is not None:
        pod.metadata.labels = {**(pod.metadata.labels or {}), **(template.metadata.labels or {})}
        pod.metadata.annotations = {
            **(pod.metadata.annotations or {}),
            **(template.metadata.annotations or {}),
        }
    if template.spec is None:
        return
    overrides = template.spec.to_dict()
    spec = pod.spec if pod.spec is not None else {}
    spec["nodeSelector"] = {**spec.get("nodeSelector", {}), **overrides.get("nodeSelector", {})}
    for appended in ("tolerations", "imagePullSecrets"):
        if overrides.get(appended):
            spec[appended] = [*spec.get(appended, []), *overrides[appended]]
    for replaced in ("affinity", "priorityClassName", "serviceAccountName", "securityContext"):
        if overrides.get(replaced):
            spec[replaced] = overrides[replaced]
    resources = overrides.get("resources", {})
    container_resources = spec["containers"][0]["resources"]
    for kind in ("requests", "limits"):
        if kind in resources:
            container_resources[kind] = {**container_resources.get(kind, {}), **resources[kind]}
    pod.spec = spec
