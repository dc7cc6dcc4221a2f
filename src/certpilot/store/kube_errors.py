"""Kubernetes API failures as the Store's typed errors.

The API answers a failed request with a `Status` object: its HTTP code and `reason` say which
error it is, its `message` says why in the API server's words (they name the field at fault).
"""

from __future__ import annotations

import json

from certpilot.store.errors import (
    AlreadyExists,
    Conflict,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    StoreError,
    Unavailable,
)

_MESSAGE_LIMIT = 2000


def status_message(body: bytes) -> tuple[str, str]:
    """(reason, message) of a Status body; the raw text (cut short) when it is not one."""
    try:
        status = json.loads(body)
    except ValueError:
        return "", body[:_MESSAGE_LIMIT].decode(errors="replace").strip()
    if not isinstance(status, dict):
        return "", str(status)[:_MESSAGE_LIMIT]
    return str(status.get("reason") or ""), str(status.get("message") or "")[:_MESSAGE_LIMIT]


def store_error(code: int, body: bytes, what: str) -> StoreError:
    """The StoreError for an HTTP error answer to the request described by `what`."""
    reason, message = status_message(body)
    text = f"{what}: {message or reason or f'HTTP {code}'}"
    if code == 404:
        return NotFound(text)
    if code == 409:
        return AlreadyExists(text) if reason == "AlreadyExists" else Conflict(text)
    if code == 410 or reason in ("Expired", "Gone"):
        return Gone(text)
    if code in (401, 403):
        return Forbidden(text)
    if code in (400, 422):
        return Invalid(text)
    return Unavailable(f"{text} (HTTP {code})")
