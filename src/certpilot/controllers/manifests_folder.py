"""Standalone's declarative input: keep the store in step with a folder of manifests.

Every `*.yaml`, `*.yml` and `*.json` file under the folder is applied (created or updated) when it
changes; an object whose manifest disappears from the folder is deleted. Objects applied from the
folder carry a label, so nothing applied by hand (`certpilot apply`) or written by a controller is
ever pruned. A file that does not load is reported and skipped as a whole: what it applied before
stays as it was until the file is fixed, so a typo never deletes a certificate. A document of a kind
certpilot does not serve makes its file not load, unless the daemon runs with --ignore-unknown-kinds:
then that document alone is skipped, with a warning.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from certpilot.api.core import Event
from certpilot.api.loader import (
    MANIFEST_SUFFIXES,
    ManifestError,
    SkippedDocument,
    UnknownKindInManifest,
    load_path,
)
from certpilot.api.meta import Resource
from certpilot.api.registry import all_kinds
from certpilot.store.apply import apply_objects
from certpilot.store.errors import NotFound, StoreError
from certpilot.store.protocol import Store

log = logging.getLogger(__name__)

FROM_FOLDER_LABEL = "certpilot.io/from-manifests-folder"
SOURCE_FILE_ANNOTATION = "certpilot.io/manifest-file"

ObjectId = tuple[type[Resource], str | None, str]
FileStamp = tuple[int, int]


def object_id(obj: Resource) -> ObjectId:
    kind = type(obj)
    return kind, obj.namespace if kind.NAMESPACED else None, obj.name


def manifest_files(folder: Path) -> dict[Path, FileStamp]:
    """The manifest files under folder with their (mtime_ns, size), hidden files excluded."""
    found: dict[Path, FileStamp] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if (
            path.suffix in MANIFEST_SUFFIXES
            and path.is_file()
            and not any(p.startswith(".") for p in relative.parts)
        ):
            stat = path.stat()
            found[path] = (stat.st_mtime_ns, stat.st_size)
    return found


def stale_objects(previously: Iterable[ObjectId], declared: set[ObjectId]) -> list[ObjectId]:
    """What was applied from the folder but is declared no more."""
    return sorted((i for i in set(previously) - declared), key=lambda i: (i[0].KIND, i[1] or "", i[2]))


def labelled_from_folder(obj: Resource, source: str) -> Resource:
    marked = obj.model_copy(deep=True)
    marked.metadata.labels = {**(marked.metadata.labels or {}), FROM_FOLDER_LABEL: "true"}
    marked.metadata.annotations = {**(marked.metadata.annotations or {}), SOURCE_FILE_ANNOTATION: source}
    return marked


def _warn_skipped(skipped: SkippedDocument) -> None:
    log.warning("manifest document skipped", extra={"reason": str(skipped)})


@dataclass
class ManifestsFolder:
    store: Store
    folder: Path
    poll_seconds: float = 1.0
    # Skip documents of kinds certpilot does not serve instead of refusing their file.
    ignore_unknown_kinds: bool = False
    # Per file: the objects its last good load declared (kept when a later load fails).
    declared_by_file: dict[Path, set[ObjectId]] = field(default_factory=dict)
    _stamps: dict[Path, FileStamp] = field(default_factory=dict)

    async def run(self) -> None:
        """Sync now, then whenever a file changes, until cancelled."""
        await self.adopt_existing()
        while True:
            try:
                stamps = await asyncio.to_thread(manifest_files, self.folder)
                if stamps != self._stamps:
                    await self.sync(stamps)
            except (OSError, StoreError) as e:
                log.error(
                    "manifests folder sync failed", extra={"folder": str(self.folder), "reason": str(e)}
                )
            await asyncio.sleep(self.poll_seconds)

    async def adopt_existing(self) -> None:
        """After a restart: objects labelled from the folder count as declared by their file."""
        for kind in all_kinds():
            if kind is Event:
                continue
            objects, _ = await self.store.list(kind, label_selector=f"{FROM_FOLDER_LABEL}=true")
            for obj in objects:
                source = self.folder / (obj.metadata.annotations or {}).get(SOURCE_FILE_ANNOTATION, "")
                self.declared_by_file.setdefault(source, set()).add(object_id(obj))

    async def sync(self, stamps: dict[Path, FileStamp]) -> None:
        """Apply changed files, then delete what no file declares any more."""
        before = {i for ids in self.declared_by_file.values() for i in ids}
        for path, stamp in stamps.items():
            if self._stamps.get(path) != stamp:
                await self._apply_file(path)
        for gone in [p for p in self.declared_by_file if p not in stamps]:
            del self.declared_by_file[gone]
        now = {i for ids in self.declared_by_file.values() for i in ids}
        for kind, namespace, name in stale_objects(before, now):
            await self._delete(kind, namespace, name)
        self._stamps = stamps

    async def _apply_file(self, path: Path) -> None:
        source = str(path.relative_to(self.folder))
        on_unknown_kind = _warn_skipped if self.ignore_unknown_kinds else None
        try:
            loaded = await asyncio.to_thread(load_path, path, on_unknown_kind)
            objects = [labelled_from_folder(o, source) for o in loaded]
            results = await apply_objects(self.store, objects)
        except UnknownKindInManifest as e:
            log.error(
                "manifest not applied",
                extra={"file": str(path), "reason": f"{e}; run with --ignore-unknown-kinds to skip it"},
            )
            return
        except (ManifestError, StoreError) as e:
            log.error("manifest not applied", extra={"file": str(path), "reason": str(e)})
            return
        self.declared_by_file[path] = {object_id(r.object) for r in results}
        for result in results:
            if result.outcome != "unchanged":
                log.info("manifest applied", extra={"file": source, "object": str(result)})

    async def _delete(self, kind: type[Resource], namespace: str | None, name: str) -> None:
        try:
            await self.store.delete(kind, name, namespace)
            log.info(
                "manifest removed, object deleted",
                extra={"object": f"{kind.KIND} {namespace or ''}/{name}"},
            )
        except NotFound:
            pass
