"""listenerset-shim: Certificates for the TLS listeners of Gateway API ListenerSets. A ListenerSet
is handled only while its parent Gateway exists, and inherits the Gateway's issuer annotations."""

from __future__ import annotations

from certpilot.api.gateway import Gateway, ListenerSet
from certpilot.api.meta import Resource
from certpilot.controllers.shims.controller import ShimController, is_being_deleted
from certpilot.controllers.shims.desired import with_parent_issuer
from certpilot.controllers.shims.tls_targets import ShimSource
from certpilot.runtime.controller import ObjectKey, Watch


def parent_gateway_key(listener_set: ListenerSet) -> ObjectKey | None:
    parent = listener_set.spec.parent_ref if listener_set.spec else None
    if parent is None or not parent.name:
        return None
    return ObjectKey(parent.namespace or listener_set.namespace, parent.name)


class ListenerSetShimController(ShimController):
    kind = ListenerSet
    name = "listenerset-shim"

    def extra_watches(self) -> list[Watch]:
        return [Watch(Gateway, self.children_of)]

    def children_of(self, gateway: Resource) -> list[ObjectKey]:
        """ListenerSets whose parent is this Gateway: its annotations are theirs too."""
        key = ObjectKey.of(gateway)
        return [ObjectKey.of(ls) for ls in self.ctx.cache.list(ListenerSet) if parent_gateway_key(ls) == key]

    async def resolved(self, source: ShimSource) -> ShimSource | None:
        if not isinstance(source, ListenerSet) or (key := parent_gateway_key(source)) is None:
            return None
        gateway = self.ctx.cache.get(Gateway, key.name, key.namespace)
        if gateway is None or is_being_deleted(gateway):
            return None
        return with_parent_issuer(source, gateway)
