"""v1 Service: the one in front of an HTTP-01 solver Pod. Its spec is written whole by the solver's
builder and never read back, so it stays plain JSON; any field is kept as it is."""

from __future__ import annotations

from typing import Any

from certpilot.api.foreign import ForeignModel
from certpilot.api.meta import Resource
from certpilot.api.registry import register


@register
class Service(Resource, ForeignModel):
    API_VERSION = "v1"
    KIND = "Service"
    PLURAL = "services"
    SINGULAR = "service"
    SHORT_NAMES = ("svc",)
    CACHED_BY_DEFAULT = False
    STANDALONE = False

    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None
