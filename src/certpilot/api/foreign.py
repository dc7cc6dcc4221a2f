"""The base of models for kinds other projects define (Ingress, Gateway API): certpilot reads only a
few of their fields, and must still decode every real object, whatever its version adds."""

from __future__ import annotations

from pydantic import ConfigDict

from certpilot.api.meta import ApiModel


class ForeignModel(ApiModel):
    """Unknown fields are kept, not refused: a field a newer Kubernetes or Gateway API release adds
    must neither break decoding nor be lost if the object is written back."""

    model_config = ConfigDict(extra="allow")
