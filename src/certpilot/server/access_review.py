"""The approval rule's questions put to the cluster: SubjectAccessReviews, and which resource an
external issuer kind is served by.

cert-manager asks API discovery for an issuer kind's resource; lightkube has no discovery client,
so kinds outside cert-manager.io are looked up among the cluster's CustomResourceDefinitions (an
external issuer is always a CRD). Answers are cached: found kinds for the process's life, missing
ones for 30 s, as cert-manager does.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from lightkube import AsyncClient
from lightkube.models.authorization_v1 import ResourceAttributes, SubjectAccessReviewSpec
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from lightkube.resources.authorization_v1 import SubjectAccessReview

from certpilot.api import registry
from certpilot.server.admission import SIGNERS_GROUP, SignerResource, UserInfo

NEGATIVE_CACHE_SECONDS = 30.0


class SubjectAccessReviews:
    """SignerAccess over a lightkube client: one SubjectAccessReview per signer name asked."""

    def __init__(self, client: AsyncClient, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._monotonic = monotonic
        self._found: dict[tuple[str, str], SignerResource] = {}
        self._missing_since: dict[tuple[str, str], float] = {}

    async def may_approve(self, user: UserInfo, signer_name: str) -> bool:
        review = SubjectAccessReview(
            spec=SubjectAccessReviewSpec(
                user=user.username,
                uid=user.uid or None,
                groups=list(user.groups),
                extra={key: list(values) for key, values in user.extra.items()} or None,
                resourceAttributes=ResourceAttributes(
                    group=SIGNERS_GROUP, resource="signers", verb="approve", name=signer_name, version="*"
                ),
            )
        )
        answer = await self._client.create(review)
        return bool(answer.status is not None and answer.status.allowed)

    async def resource_for(self, group: str, kind: str) -> SignerResource | None:
        key = (group, kind)
        if key in self._found:
            return self._found[key]
        missing_since = self._missing_since.get(key)
        if missing_since is not None and self._monotonic() - missing_since < NEGATIVE_CACHE_SECONDS:
            return None
        resource = _built_in(group, kind) or await self._from_crds(group, kind)
        if resource is None:
            self._missing_since[key] = self._monotonic()
        else:
            self._found[key] = resource
            self._missing_since.pop(key, None)
        return resource

    async def _from_crds(self, group: str, kind: str) -> SignerResource | None:
        async for crd in self._client.list(CustomResourceDefinition):
            spec = crd.spec
            if spec is not None and spec.group == group and spec.names.kind == kind:
                return SignerResource(spec.names.plural or "", group, spec.scope == "Namespaced")
        return None


def _built_in(group: str, kind: str) -> SignerResource | None:
    try:
        model = registry.model_for(f"{group}/v1", kind)
    except registry.UnknownKind:
        return None
    return SignerResource(model.PLURAL, group, model.NAMESPACED)
