"""CustomResourceDefinitions for certpilot's cert-manager kinds, generated from the models.

The pydantic JSON schemas are rewritten into Kubernetes *structural* OpenAPI v3 schemas: no $ref,
no anyOf for optional fields, a type on every node, free-form objects marked
x-kubernetes-preserve-unknown-fields. Run `python -m certpilot.api.crd deploy/crds` to write them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from certpilot.api import registry
from certpilot.api.field_docstrings import DocumentedFieldsSchema
from certpilot.api.meta import Resource

CERT_MANAGER_GROUPS = ("cert-manager.io", "acme.cert-manager.io")
# Who installed the CRDs (cert-manager's Helm chart sets the same keys with its own values), so
# `kubectl get crd -l app.kubernetes.io/name=certpilot` finds them.
CRD_LABELS = {
    "app.kubernetes.io/name": "certpilot",
    "app.kubernetes.io/instance": "certpilot",
    "app.kubernetes.io/component": "crds",
    "app.kubernetes.io/part-of": "certpilot",
}
_READY = '.status.conditions[?(@.type == "Ready")]'
_AGE = {
    "name": "Age",
    "type": "date",
    "jsonPath": ".metadata.creationTimestamp",
    "description": "When the object was created (metadata.creationTimestamp), shown as an age.",
}


_SERVER_SET = ("apiVersion", "kind", "metadata")
# Validation keywords copied from the models' JSON schemas. `default` only ever comes from an explicit
# OpenAPI(default=...) annotation: optional model fields default to None, which is left out.
_VALUE_KEYWORDS = ("enum", "format", "minimum", "maximum", "minLength", "maxLength", "pattern", "default")


def _immutable_once_set(field: str) -> dict[str, str]:
    return {
        "rule": f"!has(oldSelf.{field}) || (has(self.{field}) && self.{field} == oldSelf.{field})",
        "message": f"{field} is immutable once set",
    }


_IMMUTABLE = {"rule": "self == oldSelf", "message": "spec is immutable once created"}
# CEL rules the apiserver enforces, by model (JSON schema definition) name. cert-manager's own CRDs
# have the Venafi one; the others are checks its webhook makes, which a cluster running certpilot gets
# from the apiserver instead.
CEL_RULES: dict[str, list[dict[str, str]]] = {
    "CertificateRequestSpec": [_IMMUTABLE],
    "ChallengeSpec": [_IMMUTABLE],
    "OrderSpec": [_immutable_once_set("request")],
    "OrderStatus": [_immutable_once_set(field) for field in ("url", "finalizeURL", "certificate")],
}
# Models where exactly one of the object-valued fields (the blocks) is set.
EXACTLY_ONE_BLOCK = ("VenafiIssuer", "IssuerSpec")


def cel_rules(definition: str, schema: dict[str, Any]) -> list[dict[str, str]]:
    """The x-kubernetes-validations for the (structural) `schema` of model `definition`."""
    if definition in CEL_RULES:
        return CEL_RULES[definition]
    if definition in EXACTLY_ONE_BLOCK:
        blocks = [name for name, node in schema["properties"].items() if node.get("type") == "object"]
        rule = " + ".join(f"(has(self.{name}) ? 1 : 0)" for name in blocks) + " == 1"
        listed = f"{', '.join(blocks[:-1])}, or {blocks[-1]}" if len(blocks) > 2 else " or ".join(blocks)
        return [{"rule": rule, "message": f"exactly one of {listed} must be configured"}]
    return []


def _column(name: str, json_path: str, priority: int = 0, type_: str = "string") -> dict[str, Any]:
    column: dict[str, Any] = {"name": name, "type": type_, "jsonPath": json_path}
    if priority:
        column["priority"] = priority
    return column


# As cert-manager prints them with `kubectl get`.
PRINTER_COLUMNS: dict[str, list[dict[str, Any]]] = {
    "Certificate": [
        _column("Ready", f"{_READY}.status"),
        _column("Secret", ".spec.secretName"),
        _column("Issuer", ".spec.issuerRef.name", priority=1),
        _column("Status", f"{_READY}.message", priority=1),
        _AGE,
    ],
    "CertificateRequest": [
        _column("Approved", '.status.conditions[?(@.type == "Approved")].status'),
        _column("Denied", '.status.conditions[?(@.type == "Denied")].status'),
        _column("Ready", f"{_READY}.status"),
        _column("Issuer", ".spec.issuerRef.name"),
        _column("Requester", ".spec.username"),
        _column("Status", f"{_READY}.message", priority=1),
        _AGE,
    ],
    "Issuer": [
        _column("Ready", f"{_READY}.status"),
        _column("Status", f"{_READY}.message", priority=1),
        _AGE,
    ],
    "ClusterIssuer": [
        _column("Ready", f"{_READY}.status"),
        _column("Status", f"{_READY}.message", priority=1),
        _AGE,
    ],
    "Order": [
        _column("State", ".status.state"),
        _column("Issuer", ".spec.issuerRef.name", priority=1),
        _column("Reason", ".status.reason", priority=1),
        _AGE,
    ],
    "Challenge": [
        _column("State", ".status.state"),
        _column("Domain", ".spec.dnsName"),
        _column("Reason", ".status.reason", priority=1),
        _AGE,
    ],
}


def crd_kinds() -> list[type[Resource]]:
    """The kinds certpilot defines (cert-manager's groups), not the core kinds it only uses."""
    kinds = [k for k in registry.all_kinds() if k.API_VERSION.rpartition("/")[0] in CERT_MANAGER_GROUPS]
    return sorted(kinds, key=lambda k: (k.API_VERSION, k.KIND))


def structural_schema(model: type[Resource]) -> dict[str, Any]:
    """The openAPIV3Schema for `model`: apiVersion, kind, metadata (left to Kubernetes), spec, status."""
    raw = model.model_json_schema(by_alias=True, schema_generator=DocumentedFieldsSchema)
    definitions: dict[str, Any] = raw.get("$defs", {})
    properties = raw["properties"]
    schema: dict[str, Any] = {}
    if model.__doc__ and model.__doc__ != Resource.__doc__:
        schema["description"] = " ".join(model.__doc__.split())
    schema["type"] = "object"
    schema["properties"] = {
        "apiVersion": {"type": "string", "description": "The API group and version: " + model.API_VERSION},
        "kind": {"type": "string", "description": "The kind: " + model.KIND},
        "metadata": {"type": "object"},
    }
    for name, node in properties.items():
        if name not in schema["properties"]:
            schema["properties"][name] = _structural(node, definitions)
    # Kubernetes always has metadata; spec is what makes an object mean anything.
    schema["required"] = ["metadata", *(r for r in raw.get("required", []) if r not in _SERVER_SET)]
    return schema


def _structural(node: dict[str, Any], definitions: dict[str, Any], in_map: bool = False) -> dict[str, Any]:
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        resolved = _structural(definitions[name], definitions)
        if "description" in node:  # the field's own words win over its type's
            resolved["description"] = " ".join(str(node["description"]).split())
        rules = cel_rules(name, resolved)
        if rules:
            resolved["x-kubernetes-validations"] = rules
        return resolved
    if "anyOf" in node:
        branches = [b for b in node["anyOf"] if b.get("type") != "null"]
        merged = {k: v for k, v in node.items() if k not in ("anyOf", "default", "title")}
        if len(branches) == 1:
            return {**_structural(branches[0], definitions, in_map), **merged}
        if {b.get("type") for b in branches} == {"integer", "string"}:
            return {"x-kubernetes-int-or-string": True, **merged}
        return {"x-kubernetes-preserve-unknown-fields": True}
    result: dict[str, Any] = {}
    if "description" in node:
        result["description"] = " ".join(str(node["description"]).split())
    result.update({k: v for k, v in node.items() if k.startswith("x-kubernetes-")})
    if "x-kubernetes-int-or-string" in node:
        return result
    kind = node.get("type")
    if kind is None:
        # Free-form JSON (e.g. a webhook solver's config).
        result["x-kubernetes-preserve-unknown-fields"] = True
        return result
    result["type"] = kind
    for keyword in _VALUE_KEYWORDS:
        if keyword in node:
            result[keyword] = node[keyword]
    if kind == "array":
        result["items"] = _structural(node.get("items", {}), definitions)
        if not in_map:
            # Replaced as a whole by server-side apply unless marked otherwise, as cert-manager's lists are.
            result.setdefault("x-kubernetes-list-type", "atomic")
    elif kind == "object":
        if node.get("properties"):
            result["properties"] = {k: _structural(v, definitions) for k, v in node["properties"].items()}
            if node.get("required"):
                result["required"] = list(node["required"])
        else:
            extra = node.get("additionalProperties", True)
            if extra is True or extra == {}:
                result["x-kubernetes-preserve-unknown-fields"] = True
            elif isinstance(extra, dict):
                result["additionalProperties"] = _structural(extra, definitions, in_map=True)
    return result


def crd_for(model: type[Resource]) -> dict[str, Any]:
    group, _, version = model.API_VERSION.rpartition("/")
    names: dict[str, Any] = {
        "kind": model.KIND,
        "listKind": f"{model.KIND}List",
        "plural": model.PLURAL,
        "singular": model.SINGULAR,
        # `kubectl get cert-manager` lists them all; `kubectl get cert-manager-acme` the ACME ones.
        "categories": ["cert-manager", "cert-manager-acme"]
        if group == "acme.cert-manager.io"
        else ["cert-manager"],
    }
    if model.SHORT_NAMES:
        names["shortNames"] = list(model.SHORT_NAMES)
    served: dict[str, Any] = {
        "name": version,
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": structural_schema(model)},
        "additionalPrinterColumns": PRINTER_COLUMNS.get(model.KIND, [_AGE]),
    }
    if model.HAS_STATUS:
        served["subresources"] = {"status": {}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": f"{model.PLURAL}.{group}",
            "labels": CRD_LABELS,
        },
        "spec": {
            "group": group,
            "names": names,
            "scope": "Namespaced" if model.NAMESPACED else "Cluster",
            "versions": [served],
        },
    }


def write_crds(directory: Path) -> list[Path]:
    """One `<plural>.<group>.yaml` per kind in `directory`; returns the files written."""
    # Imported here: the manifest loader's validation stack is needed to write CRDs, not to build them
    # (`certpilot install`'s flags read this module, and every certpilot command builds those flags).
    from certpilot.api.loader import dump_yaml

    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for model in crd_kinds():
        crd = crd_for(model)
        path = directory / f"{crd['metadata']['name']}.yaml"
        path.write_text("# Generated by `python -m certpilot.api.crd`; do not edit.\n" + dump_yaml(crd))
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m certpilot.api.crd DIRECTORY", file=sys.stderr)
        return 2
    for path in write_crds(Path(argv[0])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
