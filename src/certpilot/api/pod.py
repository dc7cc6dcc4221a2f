"""v1 Pod: the HTTP-01 solver Pod certpilot creates on a cluster. Its spec is written whole by the
solver's builder and never read back, so it stays plain JSON; any field is kept as it is."""

from __future__ import annotations

from typing import Any

from certpilot.api.foreign import ForeignModel
from certpilot.api.meta import Resource
from certpilot.api.registry import register


@register
class Pod(Resource, ForeignModel):
    API_VERSION = "v1"
    KIND = "Pod"
    PLURAL = "pods"
    SINGULAR = "pod"
    SHORT_NAMES = ("po",)
    CACHED_BY_DEFAULT = False
    STANDALONE = False

    spec: dict[str, Any] | None = None
    status: dict[str, Any] | None = None
