"""Strict scalar types: Kubernetes rejects "2048" for an integer and "yes" for a boolean, so do we.

The sized and encoded variants carry the OpenAPI `format` cert-manager's CRDs declare, so the
generated schemas say the same (and the apiserver checks base64 for `byte`)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import GetJsonSchemaHandler, Strict
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class OpenAPI:
    """Extra OpenAPI keywords for a type's JSON schema (`format`, `x-kubernetes-list-type`...),
    added to the keywords pydantic writes (bounds, lengths), which stay."""

    def __init__(self, **keywords: object) -> None:
        self.keywords = keywords

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema: dict[str, Any] = handler(core_schema)
        schema.update(self.keywords)
        return schema


Int = Annotated[int, Strict()]
Int32 = Annotated[int, Strict(), OpenAPI(format="int32")]
Int64 = Annotated[int, Strict(), OpenAPI(format="int64")]
Bool = Annotated[bool, Strict()]
# Kubernetes JSON encodes []byte as base64 text; the models keep that text.
Base64 = Annotated[str, OpenAPI(format="byte")]
