"""The shape of a controller: what it watches and how it reconciles one key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from certpilot.api.meta import Resource


@dataclass(frozen=True, order=True)
class ObjectKey:
    """Identifies one object of the controller's primary kind. namespace is None when cluster-scoped."""

    namespace: str | None
    name: str

    @classmethod
    def of(cls, obj: Resource) -> ObjectKey:
        return cls(obj.metadata.namespace if obj.NAMESPACED else None, obj.name)

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@dataclass(frozen=True)
class Result:
    """requeue_after: reconcile this key again after so many seconds (timed work such as renewals)."""

    requeue_after: float | None = None


# Maps a changed secondary object to the primary keys to reconcile.
KeyMapper = Callable[[Resource], Iterable[ObjectKey]]


@dataclass(frozen=True)
class Watch:
    kind: type[Resource]
    to_keys: KeyMapper


@dataclass
class ControllerSpec:
    """name: metrics/log name. primary: the kind whose keys are queued. watches: other kinds
    whose changes enqueue primary keys (e.g. owned CertificateRequests -> their Certificate)."""

    name: str
    primary: type[Resource]
    watches: list[Watch] = field(default_factory=list)


class Reconciler(Protocol):
    spec: ControllerSpec

    async def reconcile(self, key: ObjectKey) -> Result: ...


ReconcileFn = Callable[[ObjectKey], Awaitable[Result]]
