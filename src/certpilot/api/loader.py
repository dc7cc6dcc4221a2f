"""Reading manifests: multi-document YAML or JSON into validated, defaulted resource models.

Every problem becomes one ManifestError naming the file, the document number, `kind/name`, the
camelCase field path and what is allowed there.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from certpilot.api import registry
from certpilot.api.field_error import FieldError
from certpilot.api.manifest_limits import (
    MAX_MANIFEST_BYTES,
    MAX_NESTING_DEPTH,
    LimitExceeded,
    check_document_size,
    check_manifest_size,
    nesting_too_deep,
)
from certpilot.api.meta import Resource
from certpilot.api.unpaired_surrogates import unpaired_surrogate_path
from certpilot.api.validation import validate

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _KubernetesYamlLoader(yaml.SafeLoader):
    """Safe YAML that leaves timestamps as strings, as Kubernetes does, so they round-trip exactly,
    and refuses nesting beyond MAX_NESTING_DEPTH before PyYAML's recursive composer overflows."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self._depth >= MAX_NESTING_DEPTH:
            raise LimitExceeded(str(nesting_too_deep()))
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_KubernetesYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class ManifestError(ValueError):
    """A manifest that cannot be used; the message says where and how to fix it."""

    def __init__(self, source: str, document: int, subject: str, errors: Sequence[FieldError]) -> None:
        self.source = source
        self.document = document
        self.subject = subject
        self.errors = list(errors)
        where = f"{source}: document {document}" + (f" ({subject})" if subject else "")
        if len(self.errors) == 1:
            message = f"{where}: {self.errors[0]}"
        else:
            message = where + ":\n" + "\n".join(f"  - {error}" for error in self.errors)
        # A name or key spelled with an unpaired surrogate is shown escaped: printed raw, it would
        # fail to encode and turn the refusal into a traceback.
        super().__init__(message.encode("utf-8", "backslashreplace").decode("utf-8"))


class UnknownKindInManifest(ManifestError):
    """A document of a kind certpilot does not serve (a Gateway beside a Certificate, say)."""


@dataclass(frozen=True)
class SkippedDocument:
    """A document of a kind certpilot does not serve, left out on request."""

    source: str
    document: int
    subject: str
    api_version: str

    def __str__(self) -> str:
        return (
            f"{self.source}: document {self.document} ({self.subject}): skipped, "
            f"certpilot does not serve {self.api_version} {self.subject.partition('/')[0]}"
        )


# Called for each skipped document; when none is given, an unknown kind is an error.
OnUnknownKind = Callable[[SkippedDocument], None]


def parse_yaml(text: str) -> Any:
    """One YAML document with Kubernetes' scalar rules (timestamps stay strings)."""
    return yaml.load(text, Loader=_KubernetesYamlLoader)  # noqa: S506 - a SafeLoader subclass


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)


def load_manifests(text: str, source: str, on_unknown_kind: OnUnknownKind | None = None) -> list[Resource]:
    """Every resource in `text` (YAML documents separated by `---`, or JSON); empty documents and
    `kind: List` wrappers are looked through. Raises ManifestError on the first bad document;
    documents of kinds certpilot does not serve are handed to `on_unknown_kind` when given
    (UnknownKindInManifest otherwise)."""
    try:
        check_manifest_size(len(text.encode("utf-8", "surrogatepass")))
    except LimitExceeded as error:
        raise ManifestError(source, 1, "", [FieldError("", str(error))]) from None
    resources: list[Resource] = []
    for number, document in _documents(text, source):
        for item in _expand_lists(document):
            try:
                resources.append(load_document(item, source, number))
            except UnknownKindInManifest as error:
                if on_unknown_kind is None:
                    raise
                on_unknown_kind(SkippedDocument(source, number, error.subject, item["apiVersion"]))
    return resources


def load_path(path: str | Path, on_unknown_kind: OnUnknownKind | None = None) -> list[Resource]:
    """Resources from a file, from every *.yaml/*.yml/*.json in a directory (sorted, not recursive),
    or from standard input when `path` is "-"."""
    if str(path) == "-":
        # One character past the limit is enough to refuse it, without reading a stream to its end.
        return load_manifests(sys.stdin.read(MAX_MANIFEST_BYTES + 1), "<stdin>", on_unknown_kind)
    location = Path(path)
    if location.is_dir():
        files = sorted(p for p in location.iterdir() if p.is_file() and p.suffix in MANIFEST_SUFFIXES)
    else:
        files = [location]
    resources: list[Resource] = []
    for file in files:
        try:
            check_manifest_size(file.stat().st_size)
            text = file.read_text(encoding="utf-8")
        except LimitExceeded as error:
            raise ManifestError(str(file), 1, "", [FieldError("", str(error))]) from None
        except (OSError, UnicodeDecodeError) as error:
            raise ManifestError(str(file), 1, "", [FieldError("", f"cannot read file: {error}")]) from error
        resources.extend(load_manifests(text, str(file), on_unknown_kind))
    return resources


def load_document(document: Any, source: str, number: int) -> Resource:
    """One parsed document as a validated model, its namespace defaulted."""
    if not isinstance(document, dict):
        raise ManifestError(
            source, number, "", [FieldError("", "expected a mapping with apiVersion and kind")]
        )
    subject = _subject(document)
    api_version, kind = document.get("apiVersion"), document.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        missing = "apiVersion" if not isinstance(api_version, str) else "kind"
        raise ManifestError(source, number, subject, [FieldError(missing, "must be set to a string")])
    try:
        model = registry.model_for(api_version, kind)
    except registry.UnknownKind as error:
        raise UnknownKindInManifest(source, number, subject, [FieldError("kind", str(error))]) from None
    if not model.STANDALONE:
        # Read on a cluster by the shims; the embedded store has nothing that would act on one.
        problem = (
            f"certpilot does not serve {api_version} {kind}: create it on a Kubernetes cluster with kubectl"
        )
        raise UnknownKindInManifest(source, number, subject, [FieldError("kind", problem)])
    surrogate_path = unpaired_surrogate_path(document)
    if surrogate_path is not None:
        problem = "holds an unpaired UTF-16 surrogate escape (such as \\ud800), which is not a character"
        raise ManifestError(source, number, subject, [FieldError(surrogate_path, problem)])
    try:
        obj = model.model_validate(document)
    except ValidationError as error:
        raise ManifestError(source, number, subject, translate_validation_error(error)) from None
    errors = validate(obj)
    if errors:
        raise ManifestError(source, number, subject, errors)
    return with_default_namespace(obj)


def with_default_namespace(obj: Resource) -> Resource:
    """Namespaced kinds land in "default" when unset; cluster-scoped kinds drop a namespace, as the
    Kubernetes API server does."""
    if obj.NAMESPACED and not obj.metadata.namespace:
        obj.metadata.namespace = "default"
    elif not obj.NAMESPACED and obj.metadata.namespace is not None:
        obj.metadata.namespace = None
    return obj


def translate_validation_error(error: ValidationError) -> list[FieldError]:
    """Pydantic's errors as FieldErrors with camelCase paths and plain messages."""
    return [FieldError(_path(detail["loc"]), _message(detail)) for detail in error.errors()]


def _path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif "[" in part or "," in part:
            continue  # pydantic's union/function branch labels are not fields
        else:
            path += f".{part}" if path else part
    return path


_MESSAGES = {
    "extra_forbidden": "unknown field",
    "missing": "required field is missing",
    "int_type": "expected integer",
    "int_parsing": "expected integer",
    "bool_type": "expected boolean (true or false)",
    "bool_parsing": "expected boolean (true or false)",
    "string_type": "expected string",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "datetime_type": "expected an RFC 3339 timestamp, e.g. 2025-01-31T12:00:00Z",
    "datetime_parsing": "expected an RFC 3339 timestamp, e.g. 2025-01-31T12:00:00Z",
    "datetime_from_date_parsing": "expected an RFC 3339 timestamp, e.g. 2025-01-31T12:00:00Z",
}


def _message(detail: ErrorDetails) -> str:
    kind = detail["type"]
    if kind == "enum":
        expected = (detail.get("ctx") or {}).get("expected", "")
        return f"unsupported value {detail['input']!r}; allowed: {expected}"
    base = _MESSAGES.get(kind, detail["msg"])
    if kind.endswith(("_type", "_parsing")) and kind in _MESSAGES:
        return f"{base}, got {_describe(detail['input'])}"
    return base


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"string {value!r}"
    if value is None:
        return "null"
    return f"{type(value).__name__} {value!r}" if not isinstance(value, dict | list) else type(value).__name__


def _subject(document: dict[str, Any]) -> str:
    metadata = document.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return f"{document.get('kind', '?')}/{name or '?'}"


def _documents(text: str, source: str) -> Iterator[tuple[int, Any]]:
    """(1-based number, parsed document) for each non-empty document."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ManifestError(
                source, 1, "", [FieldError("", f"invalid JSON at line {error.lineno}: {error.msg}")]
            ) from None
        except RecursionError:
            raise ManifestError(source, 1, "", [FieldError("", str(nesting_too_deep()))]) from None
        yield 1, _within_limits(document, source, 1)
        return
    number = 0
    stream = yaml.load_all(text, Loader=_KubernetesYamlLoader)
    while True:
        number += 1
        try:
            document = next(stream)
        except StopIteration:
            return
        except LimitExceeded as error:
            raise ManifestError(source, number, "", [FieldError("", str(error))]) from None
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = f" at line {mark.line + 1}" if mark is not None else ""
            problem = getattr(error, "problem", None) or str(error)
            raise ManifestError(
                source, number, "", [FieldError("", f"invalid YAML{line}: {problem}")]
            ) from None
        if document is not None:
            yield number, _within_limits(document, source, number)


def _within_limits(document: Any, source: str, number: int) -> Any:
    try:
        check_document_size(document)
    except LimitExceeded as error:
        raise ManifestError(source, number, "", [FieldError("", str(error))]) from None
    return document


def _expand_lists(document: Any) -> list[Any]:
    """A `kind: List` (or `...List`) wrapper's items; any other document as itself."""
    if (
        isinstance(document, dict)
        and isinstance(document.get("kind"), str)
        and document["kind"].endswith("List")
        and isinstance(document.get("items"), list)
    ):
        return list(document["items"])
    if isinstance(document, list):
        return document
    return [document]
