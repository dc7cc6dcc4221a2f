"""Errors that carry retry intent. Reconcilers raise them; the runtime, not each controller, acts."""

from __future__ import annotations


class ReconcileError(Exception):
    """Base: retry with per-key exponential backoff (a transient failure)."""


class RetryWithBackoff(ReconcileError):
    """Transient failure (network, conflict...): retry with per-key exponential backoff."""


class PermanentError(ReconcileError):
    """Cannot succeed until the input changes: do not requeue; the next watch event retries."""


class PendingError(ReconcileError):
    """Still working elsewhere: look again after `requeue_after` seconds (no backoff growth)."""

    def __init__(self, message: str, requeue_after: float) -> None:
        super().__init__(message)
        self.requeue_after = requeue_after
