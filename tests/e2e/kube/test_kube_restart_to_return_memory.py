"""On Kubernetes too, `certpilot run` restarts itself in place once most of what it cached is
deleted (runtime/memory/restart_to_shrink.py): it releases its lease as on SIGTERM, the same
process takes it again and goes on issuing. Thresholds lowered so that a few Certificates do."""

from __future__ import annotations

from typing import Any

from certpilot.api.certificate import Certificate
from certpilot.store.kubernetes import KubernetesStore
from tests.e2e.kube.kube_harness import (
    DaemonFactory,
    apply,
    leaf_certificate,
    self_signed_issuer,
    until,
    wait_gone,
    wait_ready,
)

LEAVES = [f"leaf-{i}" for i in range(6)]
RESTARTED = "restarting to return memory"


async def test_the_daemon_restarts_in_place_and_leads_again(
    cluster: Any, kube_namespace: str, kube_store: KubernetesStore, daemons: DaemonFactory
) -> None:
    # Only this namespace is cached and the CA injector (which caches every CRD and APIService) is
    # off, so other tests' objects do not count; any memory use at all is enough, and 12 objects gone.
    daemon = daemons(
        "--namespace",
        kube_namespace,
        "--no-enable-cainjector",
        "--memory-restart-factor",
        "0.001",
        "--memory-restart-min-objects",
        "12",
    )
    leaves = [leaf_certificate(kube_namespace, name, "self") for name in LEAVES]
    apply(cluster, [self_signed_issuer(kube_namespace), *leaves])
    for name in LEAVES:
        await wait_ready(kube_store, name, kube_namespace, daemon)
    assert RESTARTED not in daemon.log()

    cluster.kubectl("delete", "certificates", *LEAVES, "-n", kube_namespace)
    cluster.kubectl("delete", "secrets", *[f"{n}-tls" for n in LEAVES], "-n", kube_namespace)
    for name in LEAVES:
        await wait_gone(kube_store, Certificate, name, kube_namespace)

    await until(lambda: daemon.log().count("became leader") == 2, 60, "the daemon to lead again")
    assert daemon.process is not None and daemon.process.poll() is None, "the same process runs on"
    log = daemon.log()
    assert log.index("msg=stopped") < log.index(RESTARTED), "stopped gracefully (lease released) first"

    apply(cluster, [leaf_certificate(kube_namespace, "after-restart", "self")])
    await wait_ready(kube_store, "after-restart", kube_namespace, daemon)
    assert daemon.log().count(RESTARTED) == 1
