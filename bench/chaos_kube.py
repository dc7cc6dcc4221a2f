"""Chaos on Kubernetes: `certpilot run --kubeconfig` (a child process, leader election on, with short
lease timings so a restarted daemon takes over in seconds) is killed with SIGKILL --kills times at
random instants while --n Certificates issue from a CA issuer on a real kube-apiserver + etcd +
kube-controller-manager started here from $KUBEBUILDER_ASSETS; kube-apiserver and etcd are each
restarted mid-flight (at a third and two thirds of the kills) and every Certificate is renewed at
40 % of the kills and just before the last one. Every fifth Certificate has rotationPolicy Never.

Figures (certpilot.testing.audit, over the Kubernetes API): certificates_lost, secret_mismatches,
never_rotation_key_changes (+ sampled after every kill), CertificateRequests kept per Certificate,
recover_after_last_kill_s. (ACME needs solver Pods, which this control plane cannot run: CA only.)

usage: KUBEBUILDER_ASSETS=... python bench/chaos_kube.py [--n 100] [--kills 20] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from common import NAMESPACE, create_ca_issuer, emit, machine_facts
from kube_issuance import REPO, KubeDaemon, kubectl

from certpilot.api.certificate import Certificate, CertificatePrivateKey
from certpilot.api.enums import PrivateKeyAlgorithm, RotationPolicy
from certpilot.store.kube_connection import load_connection
from certpilot.store.kubernetes import KubernetesStore
from certpilot.testing.audit import audit_store, is_ready
from certpilot.testing.builders import certificate
from certpilot.testing.chaos import NEVER_EVERY, record_never_keys, renew_all
from certpilot.testing.peers.kube import KubeControlPlane, kube_assets

LEASE = ["--leader-election-lease-duration", "4s", "--leader-election-renew-deadline", "3s"]
LEASE += ["--leader-election-retry-period", "1s"]
RECOVERY_LIMIT_S = 300.0


def certificates(n: int) -> list[Certificate]:
    return [
        certificate(
            f"c{index:04d}",
            NAMESPACE,
            issuer="ca",
            dns_names=[f"c{index:04d}.bench.example"],
            private_key=CertificatePrivateKey(
                algorithm=PrivateKeyAlgorithm.ECDSA,
                size=256,
                rotation_policy=RotationPolicy.NEVER if index % NEVER_EVERY == 0 else RotationPolicy.ALWAYS,
            ),
        )
        for index in range(n)
    ]


async def all_ready(store: KubernetesStore, count: int) -> bool:
    certs, _ = await store.list(Certificate, NAMESPACE)
    return len(certs) == count and all(is_ready(c) for c in certs)


async def run(plane: KubeControlPlane, n: int, kills: int, seed: int, workdir: Path) -> dict[str, Any]:
    assets = plane.assets
    kubectl(
        assets / "kubectl", plane.kubeconfig, "apply", "--server-side", "-k", str(REPO / "deploy" / "crds")
    )
    kubectl(assets / "kubectl", plane.kubeconfig, "wait", "--for=condition=Established", "crd", "--all")
    kubectl(assets / "kubectl", plane.kubeconfig, "create", "namespace", NAMESPACE)
    store = KubernetesStore(load_connection(plane.kubeconfig))
    daemon = KubeDaemon(plane.kubeconfig, workdir / "daemon.log", LEASE)
    rng = random.Random(seed)
    never_keys: dict[str, set[bytes]] = {}
    restarts = {kills // 3: "kube-apiserver", 2 * kills // 3: "etcd"}
    renewals = {kills * 2 // 5, kills - 1}
    restarted = []
    started = time.monotonic()
    try:
        await create_ca_issuer(store)  # type: ignore[arg-type]
        for cert in certificates(n):
            await store.create(cert)
        daemon.start()
        for kill in range(kills):
            await daemon.wait_started(120)
            await asyncio.sleep(rng.uniform(0.0, 2.5))
            if kill in restarts:
                name = restarts[kill]
                await asyncio.to_thread(
                    plane.restart_apiserver if name == "kube-apiserver" else plane.restart_etcd
                )
                restarted.append(name)
            if kill in renewals:
                await renew_all(store, NAMESPACE)
            daemon.kill()
            await record_never_keys(store, never_keys, NAMESPACE)
            daemon.start()
        last_kill = time.monotonic()
        while not await all_ready(store, n + 1):
            if time.monotonic() - last_kill > RECOVERY_LIMIT_S:
                break
            await asyncio.sleep(0.5)
        recovery = time.monotonic() - last_kill
        await record_never_keys(store, never_keys, NAMESPACE)
        audit = await audit_store(store, NAMESPACE)
    finally:
        daemon.stop()
        await store.close()
    return {
        **audit.figures(),
        "broken": audit.broken(),
        "kills": kills,
        "restarts": restarted,
        "never_rotation_keys_changed_while_running": sum(len(keys) > 1 for keys in never_keys.values()),
        "recover_after_last_kill_s": round(recovery, 2),
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    assets = kube_assets()
    if assets is None:
        raise SystemExit("no Kubernetes binaries: set KUBEBUILDER_ASSETS (see README)")
    facts = machine_facts()
    with tempfile.TemporaryDirectory(prefix="certpilot-chaos-kube-") as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        with KubeControlPlane(workdir / "control-plane", assets) as plane:
            figures = asyncio.run(run(plane, args.n, args.kills, args.seed, workdir))
    emit(
        {"benchmark": "chaos_kube", "machine": facts, "n": args.n, "results": figures},
        f"chaos_kube n={args.n} kills={args.kills} restarts={','.join(figures['restarts'])}: lost "
        f"{figures['certificates_lost']}, key mismatches {figures['secret_mismatches']}, Never keys changed "
        f"{figures['never_rotation_key_changes'] + figures['never_rotation_keys_changed_while_running']}, "
        f"recovered {figures['recover_after_last_kill_s']} s after the last kill",
    )


if __name__ == "__main__":
    main()
