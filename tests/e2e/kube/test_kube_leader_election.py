"""Two replicas of `certpilot run --kubeconfig` on the real API server: one reconciles; after kill -9
the other takes over once the Lease expires; SIGTERM hands over at once."""

from __future__ import annotations

import time
from typing import Any

from certpilot.api.core import Lease
from certpilot.runtime.leader import DEFAULT_LEASE_NAME
from certpilot.store.kubernetes import KubernetesStore
from tests.e2e.kube.kube_harness import (
    DaemonFactory,
    KubeDaemon,
    apply,
    leaf_certificate,
    self_signed_issuer,
    until,
    wait_for,
    wait_ready,
)

# FAST_LEADER_ELECTION's lease duration, and what a takeover may take beyond it.
LEASE_SECONDS = 4


def self_signed_certificate(namespace: str, name: str) -> list[dict[str, Any]]:
    return [
        self_signed_issuer(namespace),
        leaf_certificate(namespace, name, "self", privateKey={"algorithm": "ECDSA"}),
    ]


async def holder(store: KubernetesStore, namespace: str) -> str | None:
    lease = await store.get(Lease, DEFAULT_LEASE_NAME, namespace)
    return lease.spec.holder_identity if lease.spec else None


async def wait_until_one_leads(replicas: list[KubeDaemon]) -> KubeDaemon:
    await until(lambda: any(r.leads for r in replicas), 60, "a replica leads")
    leaders = [r for r in replicas if r.leads]
    assert len(leaders) == 1, "two replicas lead at once"
    return leaders[0]


async def test_one_replica_reconciles_and_the_other_takes_over_after_kill_9_or_sigterm(
    cluster: Any, kube_namespace: str, kube_store: KubernetesStore, daemons: DaemonFactory
) -> None:
    election = ("--namespace", kube_namespace, "--leader-election-namespace", kube_namespace)
    replicas = [daemons(*election), daemons(*election)]
    leader = await wait_until_one_leads(replicas)
    [standby] = [r for r in replicas if r is not leader]
    apply(cluster, self_signed_certificate(kube_namespace, "first"))
    await wait_ready(kube_store, "first", kube_namespace, *replicas)
    assert not standby.leads
    assert "msg=started" not in standby.log(), "the standby replica started its controllers"

    killed_at = time.monotonic()
    leader.kill()
    await until(lambda: standby.leads, LEASE_SECONDS * 6, "the standby takes over")
    assert time.monotonic() - killed_at >= LEASE_SECONDS - 1, "took over before the lease expired"
    apply(cluster, self_signed_certificate(kube_namespace, "second"))
    await wait_ready(kube_store, "second", kube_namespace, standby)

    # A rolling update: a new replica waits; SIGTERM to the leader releases the Lease at once. The
    # newcomer polls only every 30 s, so taking over within the wait below means it saw the release.
    newcomer = daemons(
        *election, "--leader-election-retry-period", "30s", "--leader-election-lease-duration", "60s"
    )
    await wait_for(kube_store, Lease, DEFAULT_LEASE_NAME, kube_namespace, lambda _: True)
    await until(lambda: "informers synced" in newcomer.log(), 30, "the newcomer's caches sync")
    old_holder = await holder(kube_store, kube_namespace)
    terminated_at = time.monotonic()
    standby.terminate()
    await until(lambda: newcomer.leads, 10, "the newcomer takes the released lease")
    print(f"SIGTERM handover took {time.monotonic() - terminated_at:.2f}s")
    assert await holder(kube_store, kube_namespace) not in (None, old_holder)
