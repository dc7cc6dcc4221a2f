"""The plugin API: everything an external issuer package imports from certpilot, in one module.

An external issuer (see examples/external-issuer and docs/issuers.md) imports only from here:
what it implements (`IssuerBackend`: check and sign), what it is given (`IssuerContext`, the
`CertificateRequest`), what it returns (`IssuerReady`, `SignedCertificate`), the errors that tell
certpilot what to do next (`Pending`: look again later; `Permanent`: never retry this request;
`IssuerNotReady`: the issuer cannot sign now, re-check it), how it registers (`IssuerPlugin`), and
helpers to read the Secrets it references and to sign locally. Names not listed in `__all__`, and
every other certpilot module, may change without notice.
"""

from __future__ import annotations

from certpilot.api.certificaterequest import CertificateRequest, CertificateRequestSpec
from certpilot.api.common import IssuerReference
from certpilot.api.core import TLS_CERT_KEY, TLS_PRIVATE_KEY_KEY, Secret
from certpilot.api.issuer import IssuerStatus
from certpilot.api.meta import ApiModel, ObjectMeta, Resource
from certpilot.issuers.base import (
    IssuerBackend,
    IssuerContext,
    IssuerNotReady,
    IssuerReady,
    Pending,
    Permanent,
    SignedCertificate,
)
from certpilot.issuers.ca import ca_key_pair_problem, chain_and_ca
from certpilot.issuers.plugins import IssuerPlugin, plugin_problem
from certpilot.issuers.request import InvalidRequest, requested_csr, requested_duration, sign_as_requested
from certpilot.issuers.secrets import (
    KeyPair,
    SecretDataInvalid,
    SecretKeyMissing,
    SecretMissing,
    SecretProblem,
    get_secret,
    key_pair_of,
    read_key_pair,
    read_private_key,
    secret_value,
)
from certpilot.runtime.clock import Clock, SystemClock
from certpilot.store.protocol import Store

__all__ = [
    "TLS_CERT_KEY",
    "TLS_PRIVATE_KEY_KEY",
    "ApiModel",
    "CertificateRequest",
    "CertificateRequestSpec",
    "Clock",
    "InvalidRequest",
    "IssuerBackend",
    "IssuerContext",
    "IssuerNotReady",
    "IssuerPlugin",
    "IssuerReady",
    "IssuerReference",
    "IssuerStatus",
    "KeyPair",
    "ObjectMeta",
    "Pending",
    "Permanent",
    "Resource",
    "Secret",
    "SecretDataInvalid",
    "SecretKeyMissing",
    "SecretMissing",
    "SecretProblem",
    "SignedCertificate",
    "Store",
    "SystemClock",
    "ca_key_pair_problem",
    "chain_and_ca",
    "get_secret",
    "key_pair_of",
    "plugin_problem",
    "read_key_pair",
    "read_private_key",
    "requested_csr",
    "requested_duration",
    "secret_value",
    "sign_as_requested",
]
