"""Mapping an owned object back to its owner's key, for watches (CertificateRequest -> Certificate)."""

from __future__ import annotations

from certpilot.api.meta import Resource
from certpilot.runtime.controller import KeyMapper, ObjectKey


def owner_keys(owner: type[Resource]) -> KeyMapper:
    """A KeyMapper giving the keys of the `owner` objects that own the changed object."""

    def keys(obj: Resource) -> list[ObjectKey]:
        return [
            ObjectKey(obj.metadata.namespace, ref.name)
            for ref in obj.metadata.owner_references or ()
            if ref.kind == owner.KIND and ref.api_version == owner.API_VERSION
        ]

    return keys
