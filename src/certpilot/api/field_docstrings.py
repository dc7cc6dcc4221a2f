"""Field docstrings as the descriptions of a model's JSON schema (what `kubectl explain` shows).

pydantic's `use_attribute_docstrings` reads every class's source when the class is built, which
cost every certpilot process ~0.1 s at import; only the generated CRDs use the descriptions, so they
are read here, when a schema is generated. The result is the same: a field's description is the
string literal right after its annotation, in the class that declares the field; an explicit
`Field(description=...)` wins.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema


@cache
def declared_docstrings(cls: type) -> dict[str, str]:
    """{attribute: docstring} for the annotated attributes `cls` itself declares."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    statement = ast.parse(source).body[0]
    if not isinstance(statement, ast.ClassDef):
        return {}
    docs: dict[str, str] = {}
    for node, following in zip(statement.body, statement.body[1:], strict=False):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = inspect.cleandoc(following.value.value)
    return docs


def field_docstring(model: type[BaseModel], field: str) -> str | None:
    """The docstring of `field` in the nearest class of `model`'s MRO that declares it."""
    for cls in model.__mro__:
        if field in inspect.get_annotations(cls):
            return declared_docstrings(cls).get(field)
    return None


class DocumentedFieldsSchema(GenerateJsonSchema):
    """GenerateJsonSchema that describes each model field with its docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._models: list[type[BaseModel]] = []

    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        self._models.append(schema["cls"])
        try:
            return super().model_schema(schema)
        finally:
            self._models.pop()

    def model_fields_schema(self, schema: core_schema.ModelFieldsSchema) -> JsonSchemaValue:
        json_schema = super().model_fields_schema(schema)
        if not self._models:
            return json_schema
        model = self._models[-1]
        properties: dict[str, JsonSchemaValue] = json_schema.get("properties", {})
        for name, info in model.model_fields.items():
            alias = info.validation_alias if isinstance(info.validation_alias, str) else info.alias
            node = properties.get(alias if self.by_alias and alias else name)
            if node is None or info.description is not None:
                continue
            if (doc := field_docstring(model, name)) is not None:
                node["description"] = doc
        return json_schema
