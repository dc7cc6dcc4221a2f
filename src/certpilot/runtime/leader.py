"""Leader election on a coordination.k8s.io Lease through the Store, so it works on any backend.

One replica holds the Lease and renews it every retry period; the others try as often and take
over once the holder's renewTime + leaseDurationSeconds has passed. Writes use optimistic
concurrency (resourceVersion), so two candidates can never both win the same round. As in
client-go, a leader that cannot renew within renew_deadline gives up (and the process exits).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from certpilot.api.core import Lease, LeaseSpec
from certpilot.api.meta import ObjectMeta
from certpilot.runtime.clock import Clock
from certpilot.store.errors import AlreadyExists, Conflict, NotFound, StoreError
from certpilot.store.protocol import Store

log = logging.getLogger(__name__)

DEFAULT_LEASE_NAME = "certpilot-controller"
DEFAULT_LEASE_NAMESPACE = "kube-system"
# On the Lease, so candidates watch only it (not every Lease in the cluster: nodes renew theirs).
ELECTION_LABEL = "certpilot.io/leader-election"


def lease_is_free(spec: LeaseSpec | None, identity: str, now: datetime) -> bool:
    """May `identity` take (or keep) this lease now?"""
    if spec is None or not spec.holder_identity or spec.holder_identity == identity:
        return True
    if spec.renew_time is None or spec.lease_duration_seconds is None:
        return True
    return spec.renew_time + timedelta(seconds=spec.lease_duration_seconds) < now


def claimed_lease_spec(current: LeaseSpec | None, identity: str, duration: int, now: datetime) -> LeaseSpec:
    """The lease spec after `identity` acquires or renews it."""
    if current is not None and current.holder_identity == identity:
        return current.model_copy(update={"renew_time": now, "lease_duration_seconds": duration})
    transitions = 0 if current is None else (current.lease_transitions or 0) + 1
    return LeaseSpec(
        holder_identity=identity,
        lease_duration_seconds=duration,
        acquire_time=now,
        renew_time=now,
        lease_transitions=transitions,
    )


class LeaderElector:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        identity: str,
        *,
        name: str = DEFAULT_LEASE_NAME,
        namespace: str = DEFAULT_LEASE_NAMESPACE,
        lease_duration: int = 60,
        renew_deadline: float = 40.0,
        retry_period: float = 15.0,
    ) -> None:
        if not renew_deadline < lease_duration:
            raise ValueError(
                f"renew_deadline ({renew_deadline}s) must be shorter than lease_duration ({lease_duration}s)"
            )
        self._store = store
        self._clock = clock
        self.identity = identity
        self.name = name
        self.namespace = namespace
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self.is_leader = False

    async def try_acquire_or_renew(self) -> bool:
        """One round: True if this candidate holds the lease afterwards."""
        now = self._clock.now()
        try:
            lease = await self._store.get(Lease, self.name, self.namespace)
        except NotFound:
            return await self._create(now)
        if not lease_is_free(lease.spec, self.identity, now):
            self.is_leader = False
            return False
        lease.spec = claimed_lease_spec(lease.spec, self.identity, self.lease_duration, now)
        lease.metadata.labels = {**(lease.metadata.labels or {}), ELECTION_LABEL: self.name}
        try:
            await self._store.update(lease)
        except Conflict:
            self.is_leader = False
            return False
        if not self.is_leader:
            log.info(
                "became leader", extra={"lease": f"{self.namespace}/{self.name}", "identity": self.identity}
            )
        self.is_leader = True
        return True

    async def _create(self, now: datetime) -> bool:
        lease = Lease(
            metadata=ObjectMeta(name=self.name, namespace=self.namespace, labels={ELECTION_LABEL: self.name}),
            spec=claimed_lease_spec(None, self.identity, self.lease_duration, now),
        )
        try:
            await self._store.create(lease)
        except AlreadyExists:
            return False
        self.is_leader = True
        log.info("became leader", extra={"lease": f"{self.namespace}/{self.name}", "identity": self.identity})
        return True

    async def acquire(self) -> None:
        """Campaign until this candidate is the leader: every retry period, and at once when the
        Lease changes (a leader that stops releases it, so a rolling update hands over in
        moments rather than a retry period)."""
        changed = asyncio.Event()
        watching = asyncio.create_task(self._watch_lease(changed), name="leader-lease-watch")
        try:
            while not await self._round():
                changed.clear()
                sleeping = asyncio.ensure_future(self._clock.sleep(self.retry_period))
                woken = asyncio.ensure_future(changed.wait())
                await asyncio.wait([sleeping, woken], return_when=asyncio.FIRST_COMPLETED)
                for waiter in (sleeping, woken):
                    waiter.cancel()
        finally:
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)

    async def _watch_lease(self, changed: asyncio.Event) -> None:
        """Set `changed` whenever this election's Lease changes; polling alone remains if the
        watch fails (the campaign never depends on it)."""
        try:
            async for event in self._store.watch(Lease, label_selector=f"{ELECTION_LABEL}={self.name}"):
                if event.object.name == self.name and event.object.namespace == self.namespace:
                    changed.set()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.warning("cannot watch the leader lease; polling it", extra={"error": str(error)})

    async def hold(self) -> None:
        """Renew every retry period; return once renewal has failed for renew_deadline seconds."""
        last_renewed = self._clock.now()
        while True:
            await self._clock.sleep(self.retry_period)
            if await self._round():
                last_renewed = self._clock.now()
            elif (self._clock.now() - last_renewed).total_seconds() >= self.renew_deadline:
                self.is_leader = False
                log.error("lost leadership", extra={"lease": f"{self.namespace}/{self.name}"})
                return

    async def release(self) -> None:
        """Give the lease up at shutdown so another replica takes over without waiting it out."""
        if not self.is_leader:
            return
        self.is_leader = False
        try:
            lease = await self._store.get(Lease, self.name, self.namespace)
            if lease.spec is None or lease.spec.holder_identity != self.identity:
                return
            lease.spec = lease.spec.model_copy(
                update={"holder_identity": None, "lease_duration_seconds": 1, "renew_time": self._clock.now()}
            )
            await self._store.update(lease)
        except StoreError as error:
            log.warning("could not release the leader lease", extra={"error": str(error)})

    async def _round(self) -> bool:
        try:
            return await self.try_acquire_or_renew()
        except Exception as error:  # any failure to reach the store is a failed round, never a crash
            log.warning("leader election round failed", extra={"error": f"{type(error).__name__}: {error}"})
            return False
