"""The one error of the shims' decisions: an annotation or a TLS entry that cannot become a
Certificate. Its message names the annotation or field and says what is wrong; the controller turns
it into a Warning Event (reason BadConfig) on the source object."""

from __future__ import annotations


class BadConfig(ValueError):
    """What the user wrote on an Ingress, Gateway or ListenerSet cannot become a Certificate."""
