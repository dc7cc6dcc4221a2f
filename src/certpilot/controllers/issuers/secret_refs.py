"""Which Secrets an issuer's spec references, so a changed Secret re-checks the issuers using it.

Found by cert-manager's naming conventions (`secretName`, `...SecretRef.name`, `credentialsRef`)
rather than per issuer type, so new issuer types and plugins are covered without changes here.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from certpilot.api.core import Secret
from certpilot.api.issuer import AnyIssuer, ClusterIssuer, Issuer
from certpilot.api.meta import Resource
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.context import CacheReader
from certpilot.runtime.controller import ObjectKey
from certpilot.runtime.field_index import FieldIndex

_REFERENCE_OBJECT_KEYS = ("credentialsRef",)


def referenced_secret_names(spec: dict[str, Any]) -> set[str]:
    """Secret names found anywhere in a spec given as camelCase JSON."""
    names: set[str] = set()
    for key, value in spec.items():
        if key == "secretName" and isinstance(value, str):
            names.add(value)
        elif isinstance(value, dict):
            if (key.endswith("SecretRef") or key in _REFERENCE_OBJECT_KEYS) and isinstance(
                value.get("name"), str
            ):
                names.add(value["name"])
            names |= referenced_secret_names(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    names |= referenced_secret_names(item)
    return names


def secrets_referenced_by(issuer: AnyIssuer) -> list[str]:
    return sorted(referenced_secret_names(issuer.spec.to_dict()))


# The issuers of each kind by the Secret names their specs reference: every Secret event (three
# per issuance) asks which issuers use it, and an index answers without walking every issuer's
# spec; the informer updates it only when an issuer changes.
ISSUERS_BY_SECRET_NAME: FieldIndex[Issuer] = FieldIndex("spec Secret references", secrets_referenced_by)
CLUSTER_ISSUERS_BY_SECRET_NAME: FieldIndex[ClusterIssuer] = FieldIndex(
    "spec Secret references", secrets_referenced_by
)


def issuers_referencing(
    cache: CacheReader, kinds: Collection[type[AnyIssuer]], secret: Resource, options: ControllerOptions
) -> list[AnyIssuer]:
    """The Issuers in the Secret's namespace and, when it is in the cluster resource namespace,
    the ClusterIssuers whose specs reference it (of the kinds asked for)."""
    found: list[AnyIssuer] = []
    if Issuer in kinds:
        issuers = cache.indexed(Issuer, ISSUERS_BY_SECRET_NAME, secret.name, secret.namespace)
        found += issuers
    if ClusterIssuer in kinds and secret.namespace == options.cluster_resource_namespace:
        cluster_issuers = cache.indexed(ClusterIssuer, CLUSTER_ISSUERS_BY_SECRET_NAME, secret.name)
        found += cluster_issuers
    return found


def issuers_using_secret(
    cache: CacheReader, kind: type[AnyIssuer], secret: Secret, options: ControllerOptions
) -> list[ObjectKey]:
    """Keys of the issuers of `kind` whose Secrets include this one."""
    return [ObjectKey.of(i) for i in issuers_referencing(cache, [kind], secret, options)]
