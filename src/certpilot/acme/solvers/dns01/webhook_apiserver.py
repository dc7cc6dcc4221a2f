"""DNS-01 webhook solvers on Kubernetes: reached through the API server's aggregation layer.

A cert-manager webhook registers its groupName as an APIService; the API server proxies
`/apis/<groupName>/v1alpha1/<solverName>` to the webhook's Service, authenticating to it with its
front-proxy client certificate and telling it who called. cert-manager posts there with its own
credentials, so does certpilot (with the store's connection): RBAC must let certpilot's identity
`create` the solver's resource, as the webhooks' charts grant cert-manager's ServiceAccount.
"""

from __future__ import annotations

from typing import Protocol

from certpilot.acme.solvers.dns01.errors import WebhookError
from certpilot.acme.solvers.dns01.webhook import SolverAnswer, solver_path
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderWebhook
from certpilot.store.errors import Unavailable
from certpilot.store.kube_transport import Answer


class ApiServerPoster(Protocol):
    """The Kubernetes store's raw POST (KubernetesStore.post_raw)."""

    async def post_raw(self, path: str, body: bytes) -> Answer: ...


class ThroughApiServer:
    def __init__(self, api: ApiServerPoster) -> None:
        self._api = api

    def describe(self, config: ACMEIssuerDNS01ProviderWebhook) -> str:
        return (
            f"DNS-01 webhook {config.group_name}/{config.solver_name} "
            f"(through the API server at {solver_path(config)})"
        )

    async def post(self, config: ACMEIssuerDNS01ProviderWebhook, body: bytes) -> SolverAnswer:
        try:
            answer = await self._api.post_raw(solver_path(config), body)
        except Unavailable as error:
            raise WebhookError(f"{self.describe(config)}: {error}") from None
        return SolverAnswer(answer.status, answer.body)
