"""Field descriptions in generated schemas come from field docstrings, read at generation time with
the rules pydantic's use_attribute_docstrings had (the checked-in CRDs are compared byte for byte in
test_crd.py; these cover the edge cases)."""

from __future__ import annotations

from pydantic import Field

from certpilot.api.field_docstrings import DocumentedFieldsSchema
from certpilot.api.meta import ApiModel


class Inner(ApiModel):
    count: int = 0
    """How many."""


class Parent(ApiModel):
    retry_after: int = 1
    """Seconds to wait."""
    inner: Inner | None = None
    """The nested part."""
    explicit: str = Field(default="", description="Given explicitly.")
    """Not this one."""
    undocumented: str = ""


class Child(Parent):
    inner: Inner | None = None


def properties(model: type[ApiModel]) -> dict[str, dict[str, object]]:
    schema = model.model_json_schema(by_alias=True, schema_generator=DocumentedFieldsSchema)
    props: dict[str, dict[str, object]] = schema["properties"]
    return props


def test_docstrings_describe_fields_by_their_alias_and_in_nested_models() -> None:
    props = properties(Parent)
    assert props["retryAfter"]["description"] == "Seconds to wait."
    assert props["inner"]["description"] == "The nested part."
    assert "description" not in props["undocumented"]
    inner = Parent.model_json_schema(by_alias=True, schema_generator=DocumentedFieldsSchema)["$defs"]["Inner"]
    assert inner["properties"]["count"]["description"] == "How many."


def test_an_explicit_description_wins_over_the_docstring() -> None:
    assert properties(Parent)["explicit"]["description"] == "Given explicitly."


def test_a_field_redeclared_without_docstring_has_none_and_inherited_fields_keep_theirs() -> None:
    props = properties(Child)
    assert "description" not in props["inner"]
    assert props["retryAfter"]["description"] == "Seconds to wait."
