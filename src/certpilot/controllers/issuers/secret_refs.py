"""Which Secrets an issuer's spec references, so a changed Secret re-checks the issuers using it.

Found by cert-manager's naming conventions (`secretName`, `...SecretRef.name`, `credentialsRef`)
rather than per issuer type, so new issuer types and plugins are covered without changes here.
"""

from __future__ import annotations

from typing import Any

from certpilot.api.core import Secret
from certpilot.api.issuer import AnyIssuer, ClusterIssuer, Issuer
from certpilot.controllers.options import ControllerOptions
from certpilot.runtime.bounded_memo import BoundedMemo
from certpilot.runtime.context import CacheReader
from certpilot.runtime.controller import ObjectKey
from certpilot.runtime.object_versions import stored_version

_REFERENCE_OBJECT_KEYS = ("credentialsRef",)
_MEMO_CAPACITY = 256


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


class SecretReferences:
    """Which Secrets each issuer references, remembered per issuer version (uid + resourceVersion,
    so any change to an issuer is read afresh). Every Secret event (three per issuance) asks this of
    every issuer in its namespace, and serialising each issuer's spec to walk it cost more than the
    rest of the mapping. Owned by the issuer readiness controller that asks."""

    def __init__(self, capacity: int = _MEMO_CAPACITY) -> None:
        self._names_by_issuer_version: BoundedMemo[frozenset[str]] = BoundedMemo(capacity)

    def issuer_uses_secret(self, issuer: AnyIssuer, secret_name: str) -> bool:
        names = self._names_by_issuer_version.get_or_compute(
            stored_version(issuer), lambda: frozenset(referenced_secret_names(issuer.spec.to_dict()))
        )
        return secret_name in names


def issuers_using_secret(
    cache: CacheReader,
    kind: type[Issuer] | type[ClusterIssuer],
    secret: Secret,
    options: ControllerOptions,
    references: SecretReferences,
) -> list[ObjectKey]:
    """Keys of the issuers of `kind` whose Secrets include this one."""
    if kind.NAMESPACED:
        candidates: list[AnyIssuer] = list(cache.list(Issuer, secret.namespace))
    elif secret.namespace == options.cluster_resource_namespace:
        candidates = list(cache.list(ClusterIssuer))
    else:
        return []
    return [ObjectKey.of(i) for i in candidates if references.issuer_uses_secret(i, secret.name)]
