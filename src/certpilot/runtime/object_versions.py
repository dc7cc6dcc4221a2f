"""Keys naming object versions, for memos of results computed from exactly those versions.

uid + resourceVersion names one stored state of an object; uid + generation names one spec (the
store bumps generation on every spec change; the uid also fixes the name). An object never stored
has neither, so every key it is part of is None: memos compute such results every time.
"""

from __future__ import annotations

from certpilot.api.meta import Resource

VersionKey = tuple[str | int | bool | None, ...]


def stored_version(obj: Resource | None) -> VersionKey | None:
    meta = obj.metadata if obj is not None else None
    if meta is None or not (meta.uid and meta.resource_version):
        return None
    return (meta.uid, meta.resource_version)


def spec_version(obj: Resource) -> VersionKey | None:
    meta = obj.metadata
    if not (meta.uid and meta.generation):
        return None
    return (meta.uid, meta.generation)


def joined(*parts: VersionKey | None) -> VersionKey | None:
    """One key of all parts; None when any part is."""
    key: VersionKey = ()
    for part in parts:
        if part is None:
            return None
        key += part
    return key
