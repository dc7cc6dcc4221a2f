"""What the challenge controller needs from whatever answers HTTP-01: the daemon's own listener
(standalone) or solver Pods on a cluster (Kubernetes). The runtime chooses one."""

from __future__ import annotations

from typing import Protocol

from certpilot.api.acme import Challenge


class Http01Presenter(Protocol):
    async def present(self, challenge: Challenge) -> None:
        """Start answering the Challenge's token; safe to call again (nothing is made twice)."""
        ...

    async def cleanup(self, challenge: Challenge) -> None:
        """Stop answering it and remove what present made; safe when nothing was presented."""
        ...

    async def self_check_url(self, challenge: Challenge) -> str:
        """The URL the self-check fetches, once whatever serves it is in place."""
        ...
