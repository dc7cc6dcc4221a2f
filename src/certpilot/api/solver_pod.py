"""The part of a Pod spec an HTTP01 solver's `podTemplate` may override: scheduling (affinity,
node selector, tolerations, priority), image pull secrets, resources, the pod security context and
the service account. The same subset cert-manager accepts, with Kubernetes' own field names."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from certpilot.api.meta import ApiModel
from certpilot.api.scalars import Bool, Int, Int32, Int64, OpenAPI

# A struct replaced as a whole by server-side apply, as Kubernetes marks selectors.
_ATOMIC = ConfigDict(json_schema_extra={"x-kubernetes-map-type": "atomic"})

# A resource quantity ("500m", "128Mi") or a plain integer.
Quantity = Annotated[Int | str, OpenAPI(**{"x-kubernetes-int-or-string": True})]


class LabelSelectorRequirement(ApiModel):
    """`key` `operator` (In, NotIn, Exists, DoesNotExist) `values`."""

    key: str
    operator: str
    values: list[str] | None = None


class LabelSelector(ApiModel):
    """Matches labels by exact pairs and/or expressions; all must hold."""

    model_config = _ATOMIC

    match_expressions: list[LabelSelectorRequirement] | None = None
    match_labels: dict[str, str] | None = None


class NodeSelectorRequirement(ApiModel):
    """`key` `operator` (In, NotIn, Exists, DoesNotExist, Gt, Lt) `values` on a node label or field."""

    key: str
    operator: str
    values: list[str] | None = None


class NodeSelectorTerm(ApiModel):
    """Node label and field requirements, all of which must hold."""

    model_config = _ATOMIC

    match_expressions: list[NodeSelectorRequirement] | None = None
    match_fields: list[NodeSelectorRequirement] | None = None


class NodeSelector(ApiModel):
    """Any one of the terms must match."""

    model_config = _ATOMIC

    node_selector_terms: list[NodeSelectorTerm]


class PreferredSchedulingTerm(ApiModel):
    """A node preference with its weight (1-100)."""

    preference: NodeSelectorTerm
    weight: Int32


class NodeAffinity(ApiModel):
    preferred_during_scheduling_ignored_during_execution: list[PreferredSchedulingTerm] | None = None
    required_during_scheduling_ignored_during_execution: NodeSelector | None = None


class PodAffinityTerm(ApiModel):
    """Pods matching the selectors, in the namespaces given, within one `topologyKey` domain."""

    topology_key: str
    label_selector: LabelSelector | None = None
    match_label_keys: list[str] | None = None
    mismatch_label_keys: list[str] | None = None
    namespace_selector: LabelSelector | None = None
    namespaces: list[str] | None = None


class WeightedPodAffinityTerm(ApiModel):
    """A pod (anti-)affinity preference with its weight (1-100)."""

    pod_affinity_term: PodAffinityTerm
    weight: Int32


class PodAffinity(ApiModel):
    preferred_during_scheduling_ignored_during_execution: list[WeightedPodAffinityTerm] | None = None
    required_during_scheduling_ignored_during_execution: list[PodAffinityTerm] | None = None


class Affinity(ApiModel):
    """Where the solver pod may (or prefers to) be scheduled."""

    node_affinity: NodeAffinity | None = None
    pod_affinity: PodAffinity | None = None
    pod_anti_affinity: PodAffinity | None = None


class Toleration(ApiModel):
    """Lets the pod run on nodes with a matching taint."""

    effect: str | None = None
    key: str | None = None
    operator: str | None = None
    toleration_seconds: Int64 | None = None
    value: str | None = None


class ImagePullSecret(ApiModel):
    """A Secret, in the pod's namespace, with registry credentials."""

    model_config = _ATOMIC

    # The list is keyed on name, so the apiserver needs a value for it: "" as in Kubernetes.
    name: Annotated[str, OpenAPI(default="")] | None = None


class ResourceRequirements(ApiModel):
    """Compute resources (cpu, memory...) the solver container may use and asks for."""

    limits: dict[str, Quantity] | None = None
    requests: dict[str, Quantity] | None = None


class SELinuxOptions(ApiModel):
    level: str | None = None
    role: str | None = None
    type: str | None = None
    user: str | None = None


class SeccompProfile(ApiModel):
    """`type` is RuntimeDefault, Unconfined or Localhost (then `localhostProfile` names the file)."""

    type: str
    localhost_profile: str | None = None


class Sysctl(ApiModel):
    name: str
    value: str


class PodSecurityContext(ApiModel):
    """The pod-level security settings a solver pod may take."""

    fs_group: Int64 | None = None
    fs_group_change_policy: str | None = None
    run_as_group: Int64 | None = None
    run_as_non_root: Bool | None = None
    run_as_user: Int64 | None = None
    se_linux_options: SELinuxOptions | None = Field(default=None, alias="seLinuxOptions")
    seccomp_profile: SeccompProfile | None = None
    supplemental_groups: list[Int64] | None = None
    sysctls: list[Sysctl] | None = None


class SolverPodSpec(ApiModel):
    """Overrides merged into the solver pod's spec."""

    affinity: Affinity | None = None
    image_pull_secrets: (
        Annotated[
            list[ImagePullSecret],
            OpenAPI(**{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}),
        ]
        | None
    ) = None
    node_selector: dict[str, str] | None = None
    priority_class_name: str | None = None
    resources: ResourceRequirements | None = None
    security_context: PodSecurityContext | None = None
    service_account_name: str | None = None
    tolerations: list[Toleration] | None = None
