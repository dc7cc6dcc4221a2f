"""Mapping an owned object back to its owner's key, for watches (Challenge -> Order)."""

from __future__ import annotations

from certpilot.api.meta import Resource
from certpilot.runtime.controller import KeyMapper, ObjectKey


def owner_keys(owner_kind: str) -> KeyMapper:
    """A KeyMapper giving the keys of `owner_kind` objects that control the changed object."""

    def keys(obj: Resource) -> list[ObjectKey]:
        return [
            ObjectKey(obj.metadata.namespace, ref.name)
            for ref in obj.metadata.owner_references or ()
            if ref.kind == owner_kind and ref.controller
        ]

    return keys
