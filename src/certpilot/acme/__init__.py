"""The ACME protocol layer: a synchronous RFC 8555 client over certbot's `acme` library, and the
HTTP-01 / TLS-ALPN-01 solvers (DNS-01 providers live in `certpilot.acme.solvers.dns01`)."""

from certpilot.acme.client import (
    AcmeAccount,
    AcmeClient,
    ExternalAccountBinding,
    challenge_token,
    dns01_record_value,
    key_authorization,
    problem_message,
)
from certpilot.acme.client_errors import (
    AcmeAccountNotFound,
    AcmeError,
    AcmeRetryLater,
    AcmeServerUnavailable,
    redact_key_authorizations,
)

__all__ = [
    "AcmeAccount",
    "AcmeAccountNotFound",
    "AcmeClient",
    "AcmeError",
    "AcmeRetryLater",
    "AcmeServerUnavailable",
    "ExternalAccountBinding",
    "challenge_token",
    "dns01_record_value",
    "key_authorization",
    "problem_message",
    "redact_key_authorizations",
]
