"""Presents HTTP-01 Challenges on a cluster: per Challenge a solver Pod, its Service and an Ingress
or HTTPRoute (or a path on the user's own Ingress), found again by their labels and controller
reference, so presenting twice makes nothing twice and cleanup finds what an earlier run made.

Nothing is cached: the objects are read only when a Challenge is presented, checked or cleaned up.
"""

from __future__ import annotations

import logging
from typing import TypeVar

from certpilot.acme.solvers.http01 import http01_challenge_url
from certpilot.acme.solvers.http01_cluster.errors import Http01SolverMisconfigured, SolverObjectsConflict
from certpilot.acme.solvers.http01_cluster.httproute import http_route_is_current, solver_http_route
from certpilot.acme.solvers.http01_cluster.identity import is_controlled_by, solver_selector
from certpilot.acme.solvers.http01_cluster.ingress import (
    ingress_service_name,
    solver_ingress,
    with_challenge_path,
    without_challenge_path,
)
from certpilot.acme.solvers.http01_cluster.pod import solver_pod
from certpilot.acme.solvers.http01_cluster.service import solver_service
from certpilot.acme.solvers.http01_cluster.settings import SolverSettings
from certpilot.api.acme import Challenge
from certpilot.api.httproute import HTTPRoute
from certpilot.api.ingress import Ingress
from certpilot.api.meta import Resource
from certpilot.api.pod import Pod
from certpilot.api.service import Service
from certpilot.runtime.errors import RetryWithBackoff
from certpilot.store.errors import Conflict, NotFound
from certpilot.store.protocol import Store

log = logging.getLogger(__name__)

T = TypeVar("T", bound=Resource)


class NamedIngressMissing(RetryWithBackoff):
    """`http01.ingress.name` names an Ingress that does not exist (yet)."""


class KubernetesHttp01Presenter:
    """`settings`: cert-manager's --acme-http01-solver-* flags (image, resources, extra labels...)."""

    def __init__(self, store: Store, settings: SolverSettings) -> None:
        self.store = store
        self.settings = settings

    async def present(self, challenge: Challenge) -> None:
        # Built first: a misconfigured solver is refused before anything is created.
        pod, service = solver_pod(challenge, self.settings), solver_service(challenge, self.settings)
        http01 = challenge.spec.solver.http01
        if http01 is None:
            raise Http01SolverMisconfigured(f"challenge {challenge.key}: its solver has no http01 block")
        if http01.ingress is not None and not http01.ingress.name:
            solver_ingress(challenge, "", self.settings)
        await self._ensure_one(pod, challenge)
        service_name = (await self._ensure_one(service, challenge)).name
        if http01.ingress is not None:
            if http01.ingress.name:
                await self._add_path_to_named_ingress(challenge, http01.ingress.name, service_name)
            else:
                await self._ensure_ingress(challenge, service_name)
        else:
            await self._ensure_http_route(challenge, service_name)

    async def cleanup(self, challenge: Challenge) -> None:
        for kind in (Pod, Service):
            await self._delete_all(await self._owned(kind, challenge))
        http01 = challenge.spec.solver.http01
        if http01 is None:
            return
        if http01.ingress is not None:
            if http01.ingress.name:
                await self._remove_path_from_named_ingress(challenge, http01.ingress.name)
            else:
                await self._delete_all(await self._owned(Ingress, challenge))
        elif http01.gateway_http_route is not None:
            try:
                routes = await self._owned(HTTPRoute, challenge)
            except Http01SolverMisconfigured:
                return  # HTTPRoutes are not served (any more): there is none to delete.
            await self._delete_all(routes)

    async def self_check_url(self, challenge: Challenge) -> str:
        """As cert-manager: the objects are presented again first (one deleted by hand comes
        back), then the URL the CA will fetch, on port 80."""
        await self.present(challenge)
        return http01_challenge_url(challenge.spec.dns_name, challenge.spec.token)

    async def _owned(self, kind: type[T], challenge: Challenge) -> list[T]:
        try:
            found, _ = await self.store.list(kind, challenge.namespace, solver_selector(challenge))
        except NotFound:
            if kind is HTTPRoute:
                raise Http01SolverMisconfigured(
                    "the API server does not serve HTTPRoutes (gateway.networking.k8s.io/v1): install "
                    "the Gateway API CRDs, or use an http01.ingress solver"
                ) from None
            raise
        return [obj for obj in found if is_controlled_by(obj, challenge)]

    async def _ensure_one(self, desired: T, challenge: Challenge) -> T:
        """The one object of this kind the Challenge controls: created when there is none; when
        there are several, all are deleted and the next attempt starts afresh."""
        existing = await self._owned(type(desired), challenge)
        if len(existing) == 1:
            return existing[0]
        if existing:
            await self._delete_all(existing)
            raise SolverObjectsConflict(
                f"challenge {challenge.key}: {len(existing)} solver {desired.KIND}s found and deleted; "
                "presenting again"
            )
        created = await self.store.create(desired)
        log.info(
            "created HTTP-01 solver %s",
            desired.KIND,
            extra={"challenge": challenge.key, "name": created.name},
        )
        return created

    async def _ensure_ingress(self, challenge: Challenge, service_name: str) -> None:
        existing = await self._owned(Ingress, challenge)
        if len(existing) == 1 and ingress_service_name(existing[0]) == service_name:
            return
        if existing:
            await self._delete_all(existing)
            raise SolverObjectsConflict(
                f"challenge {challenge.key}: solver Ingresses for another Service (or several) found "
                "and deleted; presenting again"
            )
        await self._ensure_one(solver_ingress(challenge, service_name, self.settings), challenge)

    async def _ensure_http_route(self, challenge: Challenge, service_name: str) -> None:
        existing = await self._owned(HTTPRoute, challenge)
        if not existing:
            await self._ensure_one(solver_http_route(challenge, service_name, self.settings), challenge)
            return
        if len(existing) > 1:
            await self._delete_all(existing[1:])
            raise SolverObjectsConflict(f"challenge {challenge.key}: several solver HTTPRoutes found")
        route = existing[0]
        if http_route_is_current(route, challenge, service_name, self.settings):
            return
        wanted = solver_http_route(challenge, service_name, self.settings)
        updated = route.model_copy(deep=True)
        updated.spec, updated.metadata.labels = wanted.spec, wanted.metadata.labels
        await self._update(updated, challenge)

    async def _add_path_to_named_ingress(self, challenge: Challenge, name: str, service_name: str) -> None:
        try:
            ingress = await self.store.get(Ingress, name, challenge.namespace)
        except NotFound:
            raise NamedIngressMissing(
                f"challenge {challenge.key}: http01.ingress.name names Ingress "
                f"{challenge.namespace}/{name}, which does not exist"
            ) from None
        edited = with_challenge_path(ingress, challenge, service_name)
        if edited is not None:
            await self._update(edited, challenge)

    async def _remove_path_from_named_ingress(self, challenge: Challenge, name: str) -> None:
        try:
            ingress = await self.store.get(Ingress, name, challenge.namespace)
        except NotFound:
            log.warning(
                "the Ingress named by http01.ingress.name is gone; nothing to clean up on it",
                extra={"challenge": challenge.key, "ingress": name},
            )
            return
        edited = without_challenge_path(ingress, challenge)
        if edited is not None:
            await self._update(edited, challenge)

    async def _update(self, obj: Resource, challenge: Challenge) -> None:
        try:
            await self.store.update(obj)
        except Conflict:
            raise RetryWithBackoff(
                f"challenge {challenge.key}: {obj.KIND} {obj.key} changed while the solver edited it"
            ) from None

    async def _delete_all(self, objects: list[T]) -> None:
        for obj in objects:
            try:
                await self.store.delete(type(obj), obj.name, obj.namespace)
            except NotFound:
                continue
            log.info("deleted HTTP-01 solver %s", obj.KIND, extra={"name": obj.key})
