"""Typed ACME errors. Messages name the ACME problem and what to do; they never carry the account
key or a key authorization (some CAs echo the expected key authorization in a challenge error)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from certpilot.runtime.errors import PendingError, RetryWithBackoff

if TYPE_CHECKING:
    from acme import messages

ACME_ERROR_PREFIX = "urn:ietf:params:acme:error:"

# A key authorization is "<token>.<base64url SHA-256 thumbprint of the account key>".
_KEY_AUTHORIZATION = re.compile(r"[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
REDACTED = "<redacted key authorization>"


def redact_key_authorizations(text: str) -> str:
    """`text` with anything shaped like a key authorization replaced."""
    return _KEY_AUTHORIZATION.sub(REDACTED, text)


def problem_message(problem: messages.Error) -> str:
    """A one-line description of an RFC 8555 problem, safe for status and events."""
    # str(): a broken server may send numbers or lists where RFC 8555 says strings.
    parts = [str(problem.typ)]
    if problem.detail:
        parts.append(str(problem.detail))
    for sub in problem.subproblems or ():
        named = getattr(sub, "identifier", None)
        identifier = f" ({named.value})" if named is not None else ""
        parts.append(f"{getattr(sub, 'typ', '?')}{identifier}: {getattr(sub, 'detail', '')}")
    return redact_key_authorizations(": ".join(parts))


class AcmeError(Exception):
    """The ACME server refused a request (RFC 8555 problem document) or answered unexpectedly.

    `problem_type` is the full URN (e.g. urn:ietf:params:acme:error:rejectedIdentifier) or None."""

    def __init__(
        self,
        message: str,
        *,
        problem_type: str | None = None,
        detail: str | None = None,
        status: int | None = None,
    ) -> None:
        self.problem_type = problem_type
        self.detail = redact_key_authorizations(detail) if detail is not None else None
        self.status = status
        Exception.__init__(self, redact_key_authorizations(message))

    @property
    def code(self) -> str | None:
        """The short ACME error code ("badNonce", "unauthorized"...), if the server sent one."""
        if self.problem_type is None or not self.problem_type.startswith(ACME_ERROR_PREFIX):
            return None
        return self.problem_type.removeprefix(ACME_ERROR_PREFIX)

    def __str__(self) -> str:
        return str(self.args[0])


class AcmeServerUnavailable(AcmeError, RetryWithBackoff):
    """The ACME server could not be reached (DNS, TCP, TLS, timeout): retry with backoff."""


class AcmeRetryLater(AcmeError, PendingError):
    """The server asked us to come back later (HTTP 429 / 503 with Retry-After)."""

    def __init__(self, message: str, seconds: float, *, problem_type: str | None = None) -> None:
        AcmeError.__init__(self, message, problem_type=problem_type)
        self.seconds = seconds
        self.requeue_after = seconds


class AcmeAccountNotFound(AcmeError):
    """No account exists on the server for this account key."""
