"""cert-manager's own CRDs (the reference certpilot's must match) and helpers to compare schemas and
check objects against them."""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).parents[3]
REFERENCE_DIR = REPO_ROOT.parent / "shared" / "reference" / "cert-manager-v1.21.1-crds"
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "number": (int, float),
}
INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def reference_crds() -> dict[str, dict[str, Any]]:
    """cert-manager v1.21.1's CRDs by kind; skips the calling test (saying why) when absent."""
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"cert-manager's reference CRDs are not at {REFERENCE_DIR}")
    return _load_reference_crds()


@functools.cache
def _load_reference_crds() -> dict[str, dict[str, Any]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    crds = [yaml.load(path.read_text(), Loader=loader) for path in sorted(REFERENCE_DIR.glob("*.yaml"))]
    return {crd["spec"]["names"]["kind"]: crd for crd in crds}


def openapi_schema(crd: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def schema_type(node: dict[str, Any]) -> str:
    """The node's type, with Kubernetes' two untyped forms named."""
    if node.get("x-kubernetes-int-or-string"):
        return "int-or-string"
    if "type" in node:
        return str(node["type"])
    return "preserve-unknown-fields" if node.get("x-kubernetes-preserve-unknown-fields") else "<none>"


# What must be equal at each path: the shape of the data and how the apiserver treats it.
COMPARED_KEYWORDS = (
    "required",
    "enum",
    "format",
    "nullable",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
)


def schema_paths(node: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every node of a schema with its path: `.spec.dnsNames[]`, `.metadata.labels{}`; the root is `.`."""
    yield path or ".", node
    for name, child in node.get("properties", {}).items():
        yield from schema_paths(child, f"{path}.{name}")
    if "items" in node:
        yield from schema_paths(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from schema_paths(node["additionalProperties"], f"{path}{{}}")


def schema_differences(reference: dict[str, Any], ours: dict[str, Any]) -> dict[str, str]:
    """Path -> what differs, for paths missing on either side and for type or keyword mismatches."""
    theirs = dict(schema_paths(reference))
    mine = dict(schema_paths(ours))
    differences: dict[str, str] = {}
    for path in sorted(theirs.keys() | mine.keys()):
        if path not in mine:
            differences[path] = "missing in certpilot"
        elif path not in theirs:
            differences[path] = "missing in cert-manager"
        elif schema_type(theirs[path]) != schema_type(mine[path]):
            differences[path] = f"type {schema_type(theirs[path])} vs {schema_type(mine[path])}"
        else:
            for keyword in COMPARED_KEYWORDS:
                a, b = theirs[path].get(keyword), mine[path].get(keyword)
                if keyword == "required":
                    a, b = sorted(a or []), sorted(b or [])
                if a != b:
                    differences[path] = f"{keyword} {a!r} vs {b!r}"
                    break
    return differences


def conformance_problems(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Where `value` does not fit `schema`: types, formats, enums, bounds, required and unknown fields
    (what the apiserver checks besides CEL rules)."""
    if schema.get("x-kubernetes-int-or-string"):
        ok = isinstance(value, str | int) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected int or string, got {value!r}"]
    if schema.get("x-kubernetes-preserve-unknown-fields") and "properties" not in schema:
        return []
    kind = schema["type"]
    if not isinstance(value, JSON_TYPES[kind]) or (kind == "integer" and isinstance(value, bool)):
        return [f"{path}: expected {kind}, got {value!r}"]
    problems = _value_problems(value, schema, path)
    if kind == "array":
        for index, item in enumerate(value):
            problems += conformance_problems(item, schema["items"], f"{path}[{index}]")
    if kind == "object" and "properties" in schema:
        problems += [f"{path}.{r}: required" for r in schema.get("required", []) if r not in value]
        for key, item in value.items():
            if key not in schema["properties"]:
                problems.append(f"{path}.{key}: unknown field")
            else:
                problems += conformance_problems(item, schema["properties"][key], f"{path}.{key}")
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        for key, item in value.items():
            problems += conformance_problems(item, schema["additionalProperties"], f"{path}[{key}]")
    return problems


def _value_problems(value: Any, schema: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} not in enum")
    fmt = schema.get("format")
    if fmt == "byte":
        try:
            base64.b64decode(value, validate=True)
        except binascii.Error:
            problems.append(f"{path}: not base64")
    if fmt == "date-time":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            problems.append(f"{path}: not a date-time")
    if fmt in INT_RANGES and not INT_RANGES[fmt][0] <= value <= INT_RANGES[fmt][1]:
        problems.append(f"{path}: out of {fmt} range")
    if "minimum" in schema and value < schema["minimum"]:
        problems.append(f"{path}: below {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        problems.append(f"{path}: above {schema['maximum']}")
    if "minLength" in schema and len(value) < schema["minLength"]:
        problems.append(f"{path}: shorter than {schema['minLength']}")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        problems.append(f"{path}: longer than {schema['maxLength']}")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        problems.append(f"{path}: does not match {schema['pattern']}")
    return problems
