"""Kubernetes object metadata and the base every certpilot resource model derives from.

Python attributes are snake_case; JSON/YAML use Kubernetes' camelCase through aliases, so a
manifest round-trips with exactly the names cert-manager uses. Unknown fields are refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from certpilot.api.enums import ConditionStatus
from certpilot.api.read_only import FrozenFieldsSet, ReadOnlyObjectError, is_frozen
from certpilot.api.scalars import Int64, OpenAPI


class ApiModel(BaseModel):
    """Base of every API struct: camelCase aliases, unknown fields forbidden; read-only once frozen
    (api/read_only.py: what the informer cache hands out)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        validate_assignment=False,
        ser_json_timedelta="iso8601",
        # Field docstrings become the descriptions in the generated CRDs (`kubectl explain`), read
        # only when a CRD is generated (api/field_docstrings.py), not by every import.
    )

    if not TYPE_CHECKING:  # declared to mypy, these would let it accept any attribute name

        def __setattr__(self, name: str, value: Any) -> None:
            # is_frozen's test, inline: every write to every model passes here.
            if type(self.__pydantic_fields_set__) is FrozenFieldsSet:
                raise ReadOnlyObjectError(f"{type(self).__name__}.{name}")
            super().__setattr__(name, value)

        def __delattr__(self, name: str) -> None:
            if is_frozen(self):
                raise ReadOnlyObjectError(f"{type(self).__name__}.{name}")
            super().__delattr__(name)

    def to_dict(self) -> dict[str, Any]:
        """The object as Kubernetes JSON: camelCase keys, unset fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class OwnerReference(ApiModel):
    api_version: str
    kind: str
    name: str
    uid: str
    controller: bool | None = None
    block_owner_deletion: bool | None = None


class ManagedFieldsEntry(ApiModel):
    """Kept only so manifests exported from a cluster apply unchanged."""

    model_config = ConfigDict(extra="allow")


class ObjectMeta(ApiModel):
    name: str | None = None
    generate_name: str | None = None
    namespace: str | None = None
    uid: str | None = None
    resource_version: str | None = None
    generation: int | None = None
    creation_timestamp: datetime | None = None
    deletion_timestamp: datetime | None = None
    deletion_grace_period_seconds: int | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    owner_references: list[OwnerReference] | None = None
    finalizers: list[str] | None = None
    managed_fields: list[ManagedFieldsEntry] | None = None
    self_link: str | None = None


class Resource(ApiModel):
    """A top-level API object. Subclasses set the class variables and add spec / status."""

    API_VERSION: ClassVar[str]
    KIND: ClassVar[str]
    PLURAL: ClassVar[str]
    SINGULAR: ClassVar[str]
    SHORT_NAMES: ClassVar[tuple[str, ...]] = ()
    NAMESPACED: ClassVar[bool] = True
    # Kinds with a status subresource: update() keeps the stored status, update_status() the spec.
    HAS_STATUS: ClassVar[bool] = True
    # False for kinds only an optional controller reads: their informer starts with that controller.
    CACHED_BY_DEFAULT: ClassVar[bool] = True
    # False for kinds read only on a cluster (Ingress, Gateway API): `certpilot apply` and the
    # manifests folder refuse them as kinds certpilot does not serve.
    STANDALONE: ClassVar[bool] = True

    api_version: str = Field(default="")
    kind: str = Field(default="")
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)

    def model_post_init(self, __context: Any) -> None:
        if not self.api_version:
            self.api_version = self.API_VERSION
        if not self.kind:
            self.kind = self.KIND

    @property
    def name(self) -> str:
        return self.metadata.name or ""

    @property
    def namespace(self) -> str | None:
        return self.metadata.namespace

    @property
    def key(self) -> str:
        """`namespace/name`, or `name` for cluster-scoped objects."""
        return f"{self.metadata.namespace}/{self.name}" if self.NAMESPACED else self.name


class LocalObjectReference(ApiModel):
    name: str


class SecretKeySelector(ApiModel):
    """A key in a Secret in the same namespace as the referrer."""

    name: str
    key: str | None = None


class Condition(ApiModel):
    """A status condition as cert-manager writes them: one per type."""

    type: str
    status: ConditionStatus
    reason: str | None = None
    message: str | None = None
    last_transition_time: datetime | None = None
    observed_generation: Int64 | None = None


# A list keyed on `type`, so server-side apply merges conditions one by one.
Conditions = Annotated[
    list[Condition], OpenAPI(**{"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]})
]
