"""The shape of a controller: what it watches and how it reconciles one key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from certpilot.api.meta import Resource


class ObjectKey(NamedTuple):
    """Identifies one object of the controller's primary kind. namespace is None when cluster-scoped.

    A named tuple, not a dataclass: every event, queue entry and mapped key makes and hashes one
    (a restart of 10,000 Certificates, hundreds of thousands), and a tuple does both in C."""

    namespace: str | None
    name: str

    @classmethod
    def of(cls, obj: Resource) -> ObjectKey:
        # tuple's constructor, not the NamedTuple's (a Python __new__ at twice the cost): every
        # event of every watched object makes one.
        return tuple.__new__(cls, (obj.metadata.namespace if obj.NAMESPACED else None, obj.name))

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@dataclass(frozen=True)
class Result:
    """requeue_after: reconcile this key again after so many seconds (timed work such as renewals)."""

    requeue_after: float | None = None


# Maps a changed secondary object to the primary keys to reconcile.
KeyMapper = Callable[[Resource], Iterable[ObjectKey]]

# Whether a modification (the object before, the object after) can change what a controller
# does, as controller-runtime's predicates. Only modifications are filtered: additions, deletions
# and every object of a (re)list always reach the controller, so a restart still checks them all.
ChangeFilter = Callable[[Any, Any], bool]


@dataclass(frozen=True)
class Watch:
    """relevant: when set, modifications it rejects enqueue nothing."""

    kind: type[Resource]
    to_keys: KeyMapper
    relevant: ChangeFilter | None = None


@dataclass
class ControllerSpec:
    """name: metrics/log name. primary: the kind whose keys are queued. watches: other kinds
    whose changes enqueue primary keys (e.g. owned CertificateRequests -> their Certificate).
    primary_relevant: when set, modifications of a primary object it rejects enqueue nothing."""

    name: str
    primary: type[Resource]
    watches: list[Watch] = field(default_factory=list)
    primary_relevant: ChangeFilter | None = None


class Reconciler(Protocol):
    spec: ControllerSpec

    async def reconcile(self, key: ObjectKey) -> Result: ...


ReconcileFn = Callable[[ObjectKey], Awaitable[Result]]
