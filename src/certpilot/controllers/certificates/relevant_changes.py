"""Which changes each Certificate controller acts on.

Every status write by one Certificate controller would otherwise wake all six, and every write to
a CertificateRequest or Secret every controller watching that kind. Each filter here is derived
from its controller's reconcile: it drops a change only when that reconcile reads none of what
changed, or provably does nothing for the object as it now is. Additions, deletions and (re)lists
are never filtered (see ControllerSpec), so a restart still checks every Certificate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from certpilot.api.certificate import Certificate, CertificateStatus
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import APPROVED, ISSUING, READY
from certpilot.api.meta import ObjectMeta, Resource
from certpilot.controllers.certificates import lookups
from certpilot.controllers.certificates.conditions import is_issuing
from certpilot.controllers.certificates.request_state import failure
from certpilot.runtime.context import CacheReader
from certpilot.runtime.controller import ChangeFilter, KeyMapper, ObjectKey

# Status fields only the readiness controller writes and reads (the Ready condition aside).
VALIDITY_FIELDS = frozenset({"not_before", "not_after", "renewal_time"})
FAILURE_FIELDS = frozenset({"last_failure_time", "failed_issuance_attempts"})
NEXT_KEY_FIELD = "next_private_key_secret_name"


@dataclass(frozen=True)
class IgnoredStatus:
    """Status fields (Python names) and condition types a controller never reads."""

    fields: frozenset[str]
    conditions: frozenset[str]


def _metadata_view(meta: ObjectMeta) -> dict[str, Any]:
    # resourceVersion changes on every write, whatever changed.
    return {name: value for name, value in vars(meta).items() if name != "resource_version"}


def _status_view(status: CertificateStatus | None, ignored: IgnoredStatus) -> tuple[Any, ...]:
    if status is None:
        return (), ()
    fields = tuple(
        (name, value)
        for name, value in vars(status).items()
        if name != "conditions" and name not in ignored.fields and value is not None
    )
    conditions = tuple(c for c in status.conditions or () if c.type not in ignored.conditions)
    return fields, conditions


def changed_apart_from(old: Certificate, new: Certificate, ignored: IgnoredStatus) -> bool:
    """True when anything but resourceVersion and the ignored status parts differs."""
    return (
        old.spec != new.spec
        or _metadata_view(old.metadata) != _metadata_view(new.metadata)
        or _status_view(old.status, ignored) != _status_view(new.status, ignored)
    )


def certificate_change_filter(
    ignored: IgnoredStatus, acts_on: Callable[[Certificate], bool] | None = None
) -> ChangeFilter:
    """A filter passing changes outside `ignored`, only for Certificates the controller acts on
    (`acts_on(new)`; its reconcile returns at once for the others)."""

    def relevant(old: Certificate, new: Certificate) -> bool:
        if acts_on is not None and not acts_on(new):
            return False
        return changed_apart_from(old, new, ignored)

    return relevant


def is_not_issuing(cert: Certificate) -> bool:
    return not is_issuing(cert)


# trigger: returns at once while Issuing; reads spec, revision and the failure backoff fields.
TRIGGER_CHANGES = certificate_change_filter(
    IgnoredStatus(VALIDITY_FIELDS | {NEXT_KEY_FIELD}, frozenset({READY})), is_not_issuing
)
# keymanager: reads spec, Issuing and nextPrivateKeySecretName (and the revision, conservatively).
KEY_MANAGER_CHANGES = certificate_change_filter(
    IgnoredStatus(VALIDITY_FIELDS | FAILURE_FIELDS, frozenset({READY}))
)
# requestmanager: returns at once unless Issuing; reads spec, Issuing, revision and the next key.
REQUEST_MANAGER_CHANGES = certificate_change_filter(
    IgnoredStatus(VALIDITY_FIELDS | FAILURE_FIELDS, frozenset({READY})), is_issuing
)
# issuing: reads everything but what readiness writes.
ISSUING_CHANGES = certificate_change_filter(IgnoredStatus(VALIDITY_FIELDS, frozenset({READY})))
# readiness: its decision reads spec and revision; it owns Ready and the validity fields, so it
# sees changes to those (another writer's) too. Issuing, the failure fields and the next key it
# copies through unchanged.
READINESS_CHANGES = certificate_change_filter(
    IgnoredStatus(FAILURE_FIELDS | {NEXT_KEY_FIELD}, frozenset({ISSUING}))
)
# revisionmanager: returns at once while Issuing; reads the revision and revisionHistoryLimit.
REVISION_MANAGER_CHANGES = certificate_change_filter(
    IgnoredStatus(VALIDITY_FIELDS | FAILURE_FIELDS | {NEXT_KEY_FIELD}, frozenset({READY})), is_not_issuing
)


def owner_certificate_keys_when(
    cache: CacheReader, wanted: Callable[[Certificate, Resource], bool]
) -> KeyMapper:
    """Keys of the owning Certificates, only those for which `wanted(certificate, owned)`; an
    owner not in the cache passes (its reconcile finds nothing). Sound because the cache holds the
    newest Certificate the controller could read: if it later changes so that the owned object
    matters, that change enqueues the Certificate itself."""

    def keys(owned: Resource) -> Iterable[ObjectKey]:
        for key in lookups.owner_certificate_keys(owned):
            cert = cache.get(Certificate, key.name, key.namespace)
            if cert is None or wanted(cert, owned):
                yield key

    return keys


def owner_is_not_issuing(cert: Certificate, _: Resource) -> bool:
    return not is_issuing(cert)


def owner_is_issuing(cert: Certificate, _: Resource) -> bool:
    return is_issuing(cert)


def request_of_current_revision(cert: Certificate, request: Resource) -> bool:
    """Readiness reads only the request of status.revision."""
    if not isinstance(request, CertificateRequest):
        return True
    revision = lookups.request_revision(request)
    return revision is None or revision == lookups.current_revision(cert)


def _request_conditions_apart_from(request: CertificateRequest, ignored: str) -> tuple[Any, ...]:
    status = request.status
    if status is None:
        return ()
    kept = tuple(c for c in status.conditions or () if c.type != ignored)
    return kept, status.certificate, status.ca, status.failure_time


def request_changed_apart_from_approval(old: CertificateRequest, new: CertificateRequest) -> bool:
    """issuing reads a request's spec, metadata, outcome and certificate; approval alone (Approved
    set, nothing issued yet) changes none of them."""
    return (
        old.spec != new.spec
        or _metadata_view(old.metadata) != _metadata_view(new.metadata)
        or _request_conditions_apart_from(old, APPROVED) != _request_conditions_apart_from(new, APPROVED)
    )


def request_spec_or_outcome_changed(old: CertificateRequest, new: CertificateRequest) -> bool:
    """requestmanager reads a request's spec (against the Certificate and the key), metadata
    (revision, deletion) and whether it failed; approval and issuance it leaves to the others."""
    return (
        old.spec != new.spec
        or _metadata_view(old.metadata) != _metadata_view(new.metadata)
        or failure(old) != failure(new)
    )
