"""Keys naming object versions, for memos of results computed from exactly those versions.

uid + resourceVersion names one stored state of an object; uid + generation names one spec (the
store bumps generation on every spec change; the uid also fixes the name). An object never stored
has neither, so every key it is part of is None: memos compute such results every time. A key
keeps each object's version as its own part, so a memo can find and forget every answer computed
from an object once that object is deleted (`names_any_of`).
"""

from __future__ import annotations

from collections.abc import Hashable

from certpilot.api.meta import Resource


class ObjectVersion(tuple[str, str | int]):
    """(uid, version): one stored state (resourceVersion) or one spec (generation) of an object.

    Made by tuple's own constructor, `ObjectVersion((uid, version))`: memo keys make one per input
    on every memo lookup (hundreds of thousands on a restart of 10,000 Certificates), and a
    NamedTuple's `__new__` is a Python function that costs 2.5 times as much."""

    __slots__ = ()


VersionKey = tuple[Hashable, ...]


def stored_version(obj: Resource | None) -> ObjectVersion | None:
    meta = obj.metadata if obj is not None else None
    if meta is None or not (meta.uid and meta.resource_version):
        return None
    return ObjectVersion((meta.uid, meta.resource_version))


def same_stored_version(a: Resource | None, b: Resource | None) -> bool:
    """Whether a and b are the same stored state of one object, or both absent."""
    if a is None or b is None:
        return a is b
    version = stored_version(a)
    return version is not None and version == stored_version(b)


def spec_version(obj: Resource) -> ObjectVersion | None:
    meta = obj.metadata
    if not (meta.uid and meta.generation):
        return None
    return ObjectVersion((meta.uid, meta.generation))


def names_any_of(key: Hashable, uids: set[str]) -> bool:
    """Whether the key (an ObjectVersion, or a tuple of parts) names a version of any object in
    uids. A memo's sweep asks it of every entry: a plain loop, which builds nothing (a generator
    under any() costs twice as much)."""
    if isinstance(key, ObjectVersion):
        return key[0] in uids
    if not isinstance(key, tuple):
        return False
    for part in key:  # noqa: SIM110
        if isinstance(part, ObjectVersion) and part[0] in uids:
            return True
    return False
