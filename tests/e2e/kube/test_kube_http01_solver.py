"""ACME HTTP-01 on the real API server: for a Challenge certpilot creates the solver Pod, Service and
Ingress with the fields cert-manager's pkg/issuer/acme/http sets (or adds a path to a named Ingress),
and removes them (or the path) when the Challenge ends.

No kubelet runs here, so no Pod ever starts: the test runs the Pod's own command, `certpilot
acmesolver` with the Pod's arguments, as a local process on the port pebble dials for HTTP-01 (BIND
points every name at 127.0.0.1), and pebble validates the challenge through it. The daemon is paused
(SIGSTOP) from the moment the Pod appears until that process answers, so the CA is never asked
before the stand-in runs, however slow the machine; the solver's waitInsteadOfSelfCheck stands in
for the self-check, which would fetch port 80 of a name only BIND knows.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import sys
from typing import Any, TypeVar

import aiohttp
import pytest

from certpilot.acme.solvers.http01_cluster.errors import SolverObjectsConflict
from certpilot.acme.solvers.http01_cluster.pod import solver_pod
from certpilot.acme.solvers.http01_cluster.presenter import KubernetesHttp01Presenter
from certpilot.acme.solvers.http01_cluster.settings import SolverSettings
from certpilot.api.acme import Challenge
from certpilot.api.httproute import HTTPRoute
from certpilot.api.ingress import Ingress
from certpilot.api.meta import Resource
from certpilot.api.pod import Pod
from certpilot.api.service import Service
from certpilot.store.errors import Forbidden
from certpilot.store.kubernetes import KubernetesStore
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.kube.kube_harness import DaemonFactory, KubeDaemon, apply, until, wait_for, wait_ready

pytestmark = pytest.mark.skipif(
    any(shutil.which(b) is None for b in ("pebble", "named")),
    reason="needs pebble and named: apt-get install pebble bind9",
)

T = TypeVar("T", bound=Resource)

SOLVER_SELECTOR = "acme.cert-manager.io/http01-solver=true"
# Long enough for the test to see the Pod and pause the daemon before it accepts.
WAIT_BEFORE_ACCEPTING = "15s"
TOLERATION = {"key": "dedicated", "operator": "Equal", "value": "acme", "effect": "NoSchedule"}


def issuer(namespace: str, pebble: PebbleServer, http01: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Issuer",
        "metadata": {"name": "acme", "namespace": namespace},
        "spec": {
            "acme": {
                "server": pebble.directory_url,
                "caBundle": base64.b64encode(pebble.ca_bundle_path.read_bytes()).decode(),
                "privateKeySecretRef": {"name": "acme-account-key"},
                "solvers": [
                    {
                        "http01": http01,
                        "waitInsteadOfSelfCheck": WAIT_BEFORE_ACCEPTING,
                    }
                ],
            }
        },
    }


def certificate(namespace: str, dns_name: str) -> dict[str, Any]:
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "site", "namespace": namespace},
        "spec": {
            "secretName": "site-tls",
            "dnsNames": [dns_name],
            "privateKey": {"algorithm": "ECDSA", "size": 256},
            "issuerRef": {"name": "acme"},
        },
    }


async def solver_objects(store: KubernetesStore, kind: type[T], namespace: str) -> list[T]:
    found, _ = await store.list(kind, namespace, SOLVER_SELECTOR)
    return found


async def the_one_solver_object(store: KubernetesStore, kind: type[T], namespace: str) -> T:
    """Waits for it: the daemon creates the Service and the Ingress after the Pod."""
    found: list[T] = []

    async def appeared() -> bool:
        found[:] = await solver_objects(store, kind, namespace)
        return bool(found)

    await until(appeared, 30, f"a solver {kind.KIND}")
    assert len(found) == 1, f"one solver {kind.KIND} per Challenge, found {len(found)}"
    return found[0]


async def wait_for_solver_pod(
    cluster: Any, store: KubernetesStore, namespace: str, daemon: KubeDaemon
) -> Pod:
    pods: list[Pod] = []

    async def appeared() -> bool:
        pods[:] = await solver_objects(store, Pod, namespace)
        return bool(pods)

    try:
        await until(appeared, 90, "a solver Pod")
    except AssertionError as e:
        challenges = cluster.kubectl("get", "challenges,events", "-n", namespace, "-o", "yaml", check=False)
        raise AssertionError(f"{e}\n{challenges.stdout[-4000:]}\n{daemon.log()[-3000:]}") from None
    return pods[0]


class PausedDaemon:
    """SIGSTOP now, SIGCONT on leaving: nothing the daemon does can overtake the test meanwhile."""

    def __init__(self, daemon: KubeDaemon) -> None:
        assert daemon.process is not None
        self.pid = daemon.process.pid

    def __enter__(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def __exit__(self, *_: object) -> None:
        os.kill(self.pid, signal.SIGCONT)


def pod_args(pod: Pod) -> dict[str, str]:
    assert pod.spec is not None
    args = pod.spec["containers"][0]["args"]
    assert args[0] == "acmesolver"
    return dict(arg.removeprefix("--").split("=", 1) for arg in args[1:])


async def answers(url: str, host: str, key: str) -> bool:
    try:
        async with aiohttp.ClientSession() as session, session.get(url, headers={"Host": host}) as reply:
            return reply.status == 200 and await reply.text() == key
    except aiohttp.ClientError:
        return False


def start_acmesolver_like_the_pod(pod: Pod, port: int) -> subprocess.Popen[bytes]:
    """The Pod's container command, with the port pebble dials instead of 8089."""
    assert pod.spec is not None
    args = [a for a in pod.spec["containers"][0]["args"] if not a.startswith("--listen-port=")]
    return subprocess.Popen(
        [sys.executable, "-m", "certpilot.cli", *args, f"--listen-port={port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def prove_through_local_acmesolver(
    cluster: Any, store: KubernetesStore, namespace: str, daemon: KubeDaemon, pebble: PebbleServer
) -> tuple[Pod, subprocess.Popen[bytes]]:
    pod = await wait_for_solver_pod(cluster, store, namespace, daemon)
    args = pod_args(pod)
    with PausedDaemon(daemon):
        solver = start_acmesolver_like_the_pod(pod, pebble.http_port)
        url = f"http://127.0.0.1:{pebble.http_port}/.well-known/acme-challenge/{args['token']}"
        await until(lambda: answers(url, args["domain"], args["key"]), 30, "the acmesolver answers")
    return pod, solver


async def test_solver_pod_service_and_ingress_carry_cert_managers_fields_and_prove_the_challenge(
    cluster: Any,
    kube_namespace: str,
    kube_store: KubernetesStore,
    daemons: DaemonFactory,
    pebble: PebbleServer,
) -> None:
    ns = kube_namespace
    dns_name = f"{ns}.example.test"
    ingress_solver = {
        "ingressClassName": "nginx",
        "serviceType": "ClusterIP",
        "podTemplate": {
            "metadata": {"labels": {"team": "web"}, "annotations": {"example.test/note": "x"}},
            "spec": {"nodeSelector": {"disk": "ssd"}, "tolerations": [TOLERATION]},
        },
        "ingressTemplate": {"metadata": {"labels": {"team": "web"}, "annotations": {"a.test/b": "c"}}},
    }
    apply(cluster, [issuer(ns, pebble, {"ingress": ingress_solver}), certificate(ns, dns_name)])
    daemon = daemons("--namespace", ns, "--no-leader-elect", "--acme-http01-solver-image", "example/cp:1")

    pod, solver = await prove_through_local_acmesolver(cluster, kube_store, ns, daemon, pebble)
    try:
        challenge_ref = (pod.metadata.owner_references or [])[0]
        assert (challenge_ref.kind, challenge_ref.controller) == ("Challenge", True)
        assert pod.metadata.generate_name == "cm-acme-http-solver-"
        labels = pod.metadata.labels or {}
        assert labels["acme.cert-manager.io/http01-solver"] == "true" and labels["team"] == "web"
        assert set(labels) >= {"acme.cert-manager.io/http-domain", "acme.cert-manager.io/http-token"}
        assert (pod.metadata.annotations or {})["sidecar.istio.io/inject"] == "false"
        assert pod.spec is not None
        assert pod.spec["nodeSelector"] == {"kubernetes.io/os": "linux", "disk": "ssd"}
        # The API server adds its own not-ready / unreachable tolerations after ours.
        assert pod.spec["tolerations"][0] == TOLERATION and pod.spec["restartPolicy"] == "OnFailure"
        container = pod.spec["containers"][0]
        assert container["image"] == "example/cp:1"
        assert pod_args(pod)["listen-port"] == "8089" and pod_args(pod)["domain"] == dns_name

        service = await the_one_solver_object(kube_store, Service, ns)
        assert service.spec["type"] == "ClusterIP"
        assert service.spec["selector"] == {
            k: v for k, v in labels.items() if k.startswith("acme.cert-manager.io/")
        }
        assert service.spec["ports"][0]["port"] == 8089
        assert (service.metadata.owner_references or [])[0].uid == challenge_ref.uid

        ingress = await the_one_solver_object(kube_store, Ingress, ns)
        assert ingress.spec is not None and ingress.spec.ingress_class_name == "nginx"
        assert (ingress.metadata.annotations or {})["a.test/b"] == "c"
        assert (ingress.metadata.labels or {})["team"] == "web"
        rule = (ingress.spec.rules or [])[0]
        assert rule.host == dns_name and rule.http is not None
        path = rule.http.paths[0]
        assert path.path == f"/.well-known/acme-challenge/{pod_args(pod)['token']}"
        assert path.path_type == "Exact"
        assert path.backend is not None and path.backend.service is not None
        assert path.backend.service.name == service.name

        await wait_ready(kube_store, "site", ns, daemon, within_seconds=120)
    finally:
        solver.terminate()
        solver.wait()

    async def cleaned_up() -> bool:
        return not any([await solver_objects(kube_store, kind, ns) for kind in (Pod, Service, Ingress)])

    await until(cleaned_up, 30, "the solver Pod, Service and Ingress deleted after the Challenge")


async def test_a_named_ingress_gets_the_challenge_path_and_is_restored_after(
    cluster: Any,
    kube_namespace: str,
    kube_store: KubernetesStore,
    daemons: DaemonFactory,
    pebble: PebbleServer,
) -> None:
    ns = kube_namespace
    dns_name = f"{ns}.example.test"
    site_rule = {
        "host": dns_name,
        "http": {
            "paths": [
                {
                    "path": "/",
                    "pathType": "Prefix",
                    "backend": {"service": {"name": "web", "port": {"number": 80}}},
                }
            ]
        },
    }
    original = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {"ingressClassName": "nginx", "rules": [site_rule]},
    }
    apply(cluster, [original, issuer(ns, pebble, {"ingress": {"name": "web"}}), certificate(ns, dns_name)])
    daemon = daemons("--namespace", ns, "--no-leader-elect")

    pod, solver = await prove_through_local_acmesolver(cluster, kube_store, ns, daemon, pebble)
    try:
        token_path = f"/.well-known/acme-challenge/{pod_args(pod)['token']}"
        edited = await wait_for(
            kube_store,
            Ingress,
            "web",
            ns,
            lambda i: i.spec is not None and len((i.spec.rules or [])[0].http.paths) == 2,  # type: ignore[union-attr]
        )
        assert edited.spec is not None and edited.spec.rules is not None
        paths = edited.spec.rules[0].http.paths  # type: ignore[union-attr]
        assert [p.path for p in paths] == [token_path, "/"], "the challenge path goes first"
        services = await solver_objects(kube_store, Service, ns)
        assert paths[0].backend is not None and paths[0].backend.service is not None
        assert [s.name for s in services] == [paths[0].backend.service.name]
        assert await solver_objects(kube_store, Ingress, ns) == [], "no solver Ingress is created"
        await wait_ready(kube_store, "site", ns, daemon, within_seconds=120)
    finally:
        solver.terminate()
        solver.wait()

    async def restored() -> bool:
        ingress = await kube_store.get(Ingress, "web", ns)
        return ingress.spec is not None and [r.to_dict() for r in ingress.spec.rules or ()] == [site_rule]

    await until(restored, 30, "the named Ingress back to its own rules")
    assert await solver_objects(kube_store, Pod, ns) == []


async def test_a_gateway_http_route_solver_gets_an_http_route_deleted_after(
    gateway_api: Any,
    kube_namespace: str,
    kube_store: KubernetesStore,
    daemons: DaemonFactory,
    pebble: PebbleServer,
) -> None:
    ns = kube_namespace
    dns_name = f"{ns}.example.test"
    gateway_solver = {
        "serviceType": "ClusterIP",
        "labels": {"gateway": "public"},
        "parentRefs": [{"name": "gw", "sectionName": "http"}],
    }
    apply(gateway_api, [issuer(ns, pebble, {"gatewayHTTPRoute": gateway_solver}), certificate(ns, dns_name)])
    daemon = daemons("--namespace", ns, "--no-leader-elect")

    pod, solver = await prove_through_local_acmesolver(gateway_api, kube_store, ns, daemon, pebble)
    try:
        route = await the_one_solver_object(kube_store, HTTPRoute, ns)
        service = await the_one_solver_object(kube_store, Service, ns)
        assert route.metadata.generate_name == "cm-acme-http-solver-"
        assert (route.metadata.labels or {})["gateway"] == "public"
        assert (route.metadata.owner_references or [])[0].uid == (pod.metadata.owner_references or [])[0].uid
        assert route.spec is not None
        assert route.spec["hostnames"] == [dns_name]
        assert route.spec["parentRefs"][0]["name"] == "gw"
        assert route.spec["parentRefs"][0]["sectionName"] == "http"
        rule = route.spec["rules"][0]
        token_path = f"/.well-known/acme-challenge/{pod_args(pod)['token']}"
        assert rule["matches"] == [{"path": {"type": "Exact", "value": token_path}}]
        backend = rule["backendRefs"][0]
        assert (backend["kind"], backend["name"], backend["port"]) == ("Service", service.name, 8089)
        assert await solver_objects(kube_store, Ingress, ns) == [], "no Ingress for a Gateway solver"
        await wait_ready(kube_store, "site", ns, daemon, within_seconds=120)
    finally:
        solver.terminate()
        solver.wait()

    async def cleaned_up() -> bool:
        return not any([await solver_objects(kube_store, k, ns) for k in (Pod, Service, HTTPRoute)])

    await until(cleaned_up, 30, "the solver Pod, Service and HTTPRoute deleted after the Challenge")


async def test_ingress_shims_edit_in_place_solves_through_the_annotated_ingress(
    cluster: Any,
    kube_namespace: str,
    kube_store: KubernetesStore,
    daemons: DaemonFactory,
    pebble: PebbleServer,
) -> None:
    """The override annotation ingress-shim writes on its Certificate reaches the Order through the
    CertificateRequest, and the Challenge's solver names the annotated Ingress."""
    ns = kube_namespace
    dns_name = f"{ns}.example.test"
    site_rule = {
        "host": dns_name,
        "http": {
            "paths": [
                {
                    "path": "/",
                    "pathType": "Prefix",
                    "backend": {"service": {"name": "web", "port": {"number": 80}}},
                }
            ]
        },
    }
    annotated = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "web",
            "namespace": ns,
            "annotations": {
                "cert-manager.io/issuer": "acme",
                "acme.cert-manager.io/http01-edit-in-place": "true",
            },
        },
        "spec": {"rules": [site_rule], "tls": [{"hosts": [dns_name], "secretName": "site-tls"}]},
    }
    apply(cluster, [issuer(ns, pebble, {"ingress": {"ingressClassName": "nginx"}}), annotated])
    daemon = daemons("--namespace", ns, "--no-leader-elect")

    pod, solver = await prove_through_local_acmesolver(cluster, kube_store, ns, daemon, pebble)
    try:
        token_path = f"/.well-known/acme-challenge/{pod_args(pod)['token']}"

        def has_the_path(ingress: Ingress) -> bool:
            rules = ingress.spec.rules if ingress.spec is not None else None
            return any(p.path == token_path for r in rules or () if r.http for p in r.http.paths)

        await wait_for(kube_store, Ingress, "web", ns, has_the_path)
        assert await solver_objects(kube_store, Ingress, ns) == [], "no solver Ingress is created"
        await wait_ready(kube_store, "site-tls", ns, daemon, within_seconds=120)
    finally:
        solver.terminate()
        solver.wait()

    async def restored() -> bool:
        ingress = await kube_store.get(Ingress, "web", ns)
        return ingress.spec is not None and [r.to_dict() for r in ingress.spec.rules or ()] == [site_rule]

    await until(restored, 30, "the annotated Ingress back to its own rules")


async def test_presenting_again_makes_nothing_twice_and_duplicates_are_replaced(
    cluster: Any, kube_namespace: str, kube_store: KubernetesStore
) -> None:
    """The presenter alone, on the API server: objects are found again by their labels and owner,
    a duplicate Pod is deleted with the original and made afresh, and an object with the same
    labels that the Challenge does not control is left alone."""
    ns = kube_namespace
    challenge = await kube_store.create(
        Challenge.model_validate(
            {
                "metadata": {"name": "c", "namespace": ns},
                "spec": {
                    "url": "https://ca.test/chal/1",
                    "authorizationURL": "https://ca.test/authz/1",
                    "dnsName": "www.example.test",
                    "type": "HTTP-01",
                    "token": "tok",
                    "key": "tok.thumb",
                    "solver": {"http01": {"ingress": {"serviceType": "ClusterIP"}}},
                    "issuerRef": {"name": "acme"},
                },
            }
        )
    )
    presenter = KubernetesHttp01Presenter(kube_store, SolverSettings())
    await until(presenter_succeeds(presenter, challenge), 60, "the first present (namespace ready)")
    stranger = solver_pod(challenge, SolverSettings())
    stranger.metadata.owner_references = None
    stranger = await kube_store.create(stranger)

    async def owned(kind: type[T]) -> list[str]:
        return sorted(o.name for o in await solver_objects(kube_store, kind, ns) if o.name != stranger.name)

    first = {kind: await owned(kind) for kind in (Pod, Service, Ingress)}
    assert all(len(names) == 1 for names in first.values()), first
    await presenter.present(challenge)
    assert {kind: await owned(kind) for kind in (Pod, Service, Ingress)} == first

    await kube_store.create(solver_pod(challenge, SolverSettings()))
    with pytest.raises(SolverObjectsConflict):
        await presenter.present(challenge)
    assert await owned(Pod) == []
    await presenter.present(challenge)
    assert len(await owned(Pod)) == 1 and await owned(Pod) != first[Pod]

    await presenter.cleanup(challenge)
    assert {kind: await owned(kind) for kind in (Pod, Service, Ingress)} == {
        Pod: [],
        Service: [],
        Ingress: [],
    }
    assert await kube_store.get(Pod, stranger.name, ns), "a Pod the Challenge does not control stays"


def presenter_succeeds(presenter: KubernetesHttp01Presenter, challenge: Challenge) -> Any:
    """present() until it passes: a fresh namespace has no default ServiceAccount for a moment,
    and the API server refuses Pods until it has."""

    async def attempt() -> bool:
        try:
            await presenter.present(challenge)
        except Forbidden:
            return False
        return True

    return attempt
