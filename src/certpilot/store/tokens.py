"""Bound service account tokens (the TokenRequest API): only a store on a Kubernetes API server
can give them, so issuers ask for this capability rather than for the Store protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


@runtime_checkable
class ServiceAccountTokens(Protocol):
    async def request_service_account_token(
        self, namespace: str, service_account: str, audiences: Sequence[str], expiration_seconds: int
    ) -> str:
        """A new token of the ServiceAccount for these audiences. Raises the Store's errors
        (NotFound: no such ServiceAccount; Forbidden / Invalid with the API server's message)."""
        ...
