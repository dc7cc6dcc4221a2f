"""Every resource kind certpilot knows, found by apiVersion + kind or by a kubectl-style name."""

from __future__ import annotations

from typing import TypeVar

from certpilot.api.meta import Resource

R = TypeVar("R", bound=type[Resource])

_BY_GVK: dict[tuple[str, str], type[Resource]] = {}
_BY_NAME: dict[str, type[Resource]] = {}


class UnknownKind(LookupError):
    """Raised for an apiVersion/kind or resource name certpilot does not serve."""


def register(cls: R) -> R:
    """Class decorator: make a resource model findable by GVK, plural, singular and short names."""
    _BY_GVK[(cls.API_VERSION, cls.KIND)] = cls
    group = cls.API_VERSION.rpartition("/")[0]
    for name in (cls.KIND.lower(), cls.PLURAL, cls.SINGULAR, *cls.SHORT_NAMES):
        _BY_NAME[name] = cls
        if group:
            _BY_NAME[f"{name}.{group}"] = cls
    return cls


def model_for(api_version: str, kind: str) -> type[Resource]:
    try:
        return _BY_GVK[(api_version, kind)]
    except KeyError:
        known = ", ".join(sorted(f"{v} {k}" for v, k in _BY_GVK))
        raise UnknownKind(f"unknown kind {kind!r} in apiVersion {api_version!r}; known: {known}") from None


def kind_named(name: str) -> type[Resource]:
    """The kind for a kubectl-style name: `cert`, `certificates`, `certificate.cert-manager.io`, ..."""
    try:
        return _BY_NAME[name.lower()]
    except KeyError:
        known = ", ".join(sorted({c.PLURAL for c in _BY_NAME.values()}))
        raise UnknownKind(f"unknown resource type {name!r}; known: {known}") from None


def all_kinds() -> list[type[Resource]]:
    return list(_BY_GVK.values())
