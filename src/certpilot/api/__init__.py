"""api layer: cert-manager's API as typed models, with defaults, validation, loading and CRDs.

Importing the package registers every kind, so `registry.model_for` finds all of them.
"""

from certpilot.api import (
    acme,
    ca_injectables,
    certificate,
    certificaterequest,
    core,
    gateway,
    httproute,
    ingress,
    issuer,
    pod,
    service,
)

__all__ = [
    "acme",
    "ca_injectables",
    "certificate",
    "certificaterequest",
    "core",
    "gateway",
    "httproute",
    "ingress",
    "issuer",
    "pod",
    "service",
]
