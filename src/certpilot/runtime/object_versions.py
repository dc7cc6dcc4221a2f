"""Keys naming object versions, for memos of results computed from exactly those versions.

uid + resourceVersion names one stored state of an object; uid + generation names one spec (the
store bumps generation on every spec change; the uid also fixes the name). An object never stored
has neither, so every key it is part of is None: memos compute such results every time. A key
keeps each object's version as its own part, so a memo can find and forget every answer computed
from an object once that object is deleted (`uids_in`).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import NamedTuple

from certpilot.api.meta import Resource


class ObjectVersion(NamedTuple):
    uid: str
    version: str | int


VersionKey = tuple[Hashable, ...]


def stored_version(obj: Resource | None) -> ObjectVersion | None:
    meta = obj.metadata if obj is not None else None
    if meta is None or not (meta.uid and meta.resource_version):
        return None
    return ObjectVersion(meta.uid, meta.resource_version)


def spec_version(obj: Resource) -> ObjectVersion | None:
    meta = obj.metadata
    if not (meta.uid and meta.generation):
        return None
    return ObjectVersion(meta.uid, meta.generation)


def uids_in(key: Hashable) -> tuple[str, ...]:
    """The uids of the objects whose versions a key names (the key itself, or its parts), each once."""
    if isinstance(key, ObjectVersion):
        return (key.uid,)
    if not isinstance(key, tuple):
        return ()
    # A plain loop: twice as fast as a generator here, and a memo's sweep asks of every entry.
    uids: list[str] = []
    for part in key:
        if isinstance(part, ObjectVersion) and part.uid not in uids:
            uids.append(part.uid)
    return tuple(uids)
