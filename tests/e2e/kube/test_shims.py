"""ingress-shim and gateway-shim on the real control plane: Ingresses, Gateways and ListenerSets
created with kubectl become owned Certificates that certpilot issues; editing the source changes
them in place, removing a TLS entry deletes its Certificate, a bad annotation is a Warning Event."""

from __future__ import annotations

from typing import Any

from certpilot.api.certificate import Certificate
from certpilot.api.core import Event, Secret
from certpilot.api.gateway import Gateway, ListenerSet
from certpilot.api.ingress import Ingress
from certpilot.api.meta import Resource
from certpilot.controllers.kubernetes_daemon import served_shim_kinds
from certpilot.controllers.shims.options import ShimOptions
from certpilot.store.kubernetes import KubernetesStore
from tests.e2e.kube.kube_harness import (
    DaemonFactory,
    KubeDaemon,
    apply,
    self_signed_issuer,
    until,
    wait_for,
    wait_gone,
    wait_ready,
)


def shim_daemon(daemons: DaemonFactory, namespace: str, *flags: str) -> KubeDaemon:
    # A Lease of its own: leadership is not shared with daemons of other tests on the same cluster.
    return daemons("--leader-election-namespace", namespace, *flags)


def ingress(namespace: str, annotations: dict[str, str], tls: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "web",
            "namespace": namespace,
            "annotations": annotations,
            "labels": {"app": "web"},
        },
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": "a.example.com",
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
            ],
            "tls": tls,
        },
    }


def controlled_by(certificate: Certificate, source: Resource) -> bool:
    return any(
        ref.controller and ref.uid == source.metadata.uid and ref.kind == source.KIND
        for ref in certificate.metadata.owner_references or ()
    )


async def warnings_about(store: KubernetesStore, source: Resource) -> list[str]:
    events, _ = await store.list(Event, source.namespace)
    return [
        e.message or ""
        for e in events
        if e.involved_object.name == source.name
        and e.involved_object.kind == source.KIND
        and e.type == "Warning"
    ]


async def test_an_annotated_ingress_gets_owned_certificates_kept_in_step_with_it(
    cluster: Any, kube_namespace: str, kube_store: KubernetesStore, daemons: DaemonFactory
) -> None:
    ns = kube_namespace
    issuer = {"cert-manager.io/issuer": "self"}
    two_entries = [
        {"hosts": ["a.example.com"], "secretName": "a-tls"},
        {"hosts": ["b.example.com"], "secretName": "b-tls"},
    ]
    apply(cluster, [self_signed_issuer(ns), ingress(ns, issuer, two_entries)])
    daemon = shim_daemon(daemons, ns)

    source = await kube_store.get(Ingress, "web", ns)
    certificate = await wait_ready(kube_store, "a-tls", ns, daemon)
    assert controlled_by(certificate, source)
    assert certificate.spec.dns_names == ["a.example.com"] and certificate.metadata.labels == {"app": "web"}
    assert certificate.metadata.generation == 1, "an unchanged source does not rewrite its Certificate"
    assert (certificate.spec.issuer_ref.name, certificate.spec.issuer_ref.kind) == ("self", "Issuer")
    secret = await kube_store.get(Secret, "a-tls", ns)
    assert secret.get_data("tls.crt") and secret.get_data("tls.key")
    await wait_ready(kube_store, "b-tls", ns, daemon)

    cluster.kubectl("annotate", "ingress", "web", "-n", ns, "cert-manager.io/duration=720h")
    changed = await wait_for(
        kube_store, Certificate, "a-tls", ns, lambda c: c.spec.duration == "720h", daemons=(daemon,)
    )
    assert changed.metadata.uid == certificate.metadata.uid, "changed in place, not recreated"
    assert changed.metadata.generation == 2

    apply(cluster, [ingress(ns, {**issuer, "cert-manager.io/duration": "720h"}, two_entries[:1])])
    await wait_gone(kube_store, Certificate, "b-tls", ns)
    assert await kube_store.get(Certificate, "a-tls", ns)

    cluster.kubectl(
        "annotate", "ingress", "web", "-n", ns, "cert-manager.io/private-key-size=12", "--overwrite"
    )

    async def warned() -> bool:
        return any("cert-manager.io/private-key-size" in m for m in await warnings_about(kube_store, source))

    await until(warned, 30, "a Warning Event naming the bad annotation on the Ingress")
    assert daemon.process is not None and daemon.process.poll() is None, "the daemon keeps running"
    kept = await kube_store.get(Certificate, "a-tls", ns)
    assert kept.spec.private_key is None, "a bad annotation changes nothing"

    cluster.kubectl("delete", "ingress", "web", "-n", ns)
    await wait_gone(kube_store, Certificate, "a-tls", ns)


async def test_tls_acme_uses_the_default_issuer_flags_and_a_users_certificate_is_left_alone(
    cluster: Any, kube_namespace: str, kube_store: KubernetesStore, daemons: DaemonFactory
) -> None:
    ns = kube_namespace
    users = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "mine", "namespace": ns},
        "spec": {"secretName": "mine", "dnsNames": ["mine.example.com"], "issuerRef": {"name": "self"}},
    }
    tls = [
        {"hosts": ["acme.example.com"], "secretName": "acme-tls"},
        {"hosts": ["other.example.com"], "secretName": "mine"},
    ]
    apply(cluster, [self_signed_issuer(ns), users, ingress(ns, {"kubernetes.io/tls-acme": "true"}, tls)])
    daemon = shim_daemon(daemons, ns, "--default-issuer-name", "self", "--default-issuer-kind", "Issuer")
    certificate = await wait_ready(kube_store, "acme-tls", ns, daemon)
    assert (certificate.spec.issuer_ref.name, certificate.spec.issuer_ref.kind) == ("self", "Issuer")
    # The reconcile that created acme-tls went on to "mine" at once; long before acme-tls is Ready.
    mine = await kube_store.get(Certificate, "mine", ns)
    assert mine.spec.dns_names == ["mine.example.com"] and not mine.metadata.owner_references
    assert mine.metadata.generation == 1


def https(name: str, hostname: str, secret: str) -> dict[str, Any]:
    return {
        "name": name,
        "hostname": hostname,
        "port": 443,
        "protocol": "HTTPS",
        "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": secret}]},
    }


def gateway(namespace: str, listeners: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "gw", "namespace": namespace, "annotations": {"cert-manager.io/issuer": "self"}},
        "spec": {"gatewayClassName": "example", "listeners": listeners},
    }


async def test_gateway_listeners_and_listener_sets_get_owned_certificates(
    gateway_api: Any, kube_namespace: str, kube_store: KubernetesStore, daemons: DaemonFactory
) -> None:
    ns = kube_namespace
    listeners = [https("a", "a.example.com", "gw-a"), https("b", "b.example.com", "gw-b")]
    listener_set = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "ListenerSet",
        "metadata": {"name": "extra", "namespace": ns},
        "spec": {"parentRef": {"name": "gw"}, "listeners": [https("c", "c.example.com", "ls-c")]},
    }
    apply(gateway_api, [self_signed_issuer(ns), gateway(ns, listeners), listener_set])
    daemon = shim_daemon(daemons, ns, "--enable-gateway-api", "--enable-gateway-api-listenerset")

    source = await kube_store.get(Gateway, "gw", ns)
    certificate = await wait_ready(kube_store, "gw-a", ns, daemon)
    assert controlled_by(certificate, source) and certificate.spec.dns_names == ["a.example.com"]
    assert (certificate.metadata.annotations or {})["acme.cert-manager.io/http01-parentrefkind"] == "Gateway"
    await wait_ready(kube_store, "gw-b", ns, daemon)
    from_set = await wait_ready(kube_store, "ls-c", ns, daemon)
    assert controlled_by(from_set, await kube_store.get(ListenerSet, "extra", ns)), "owned by the ListenerSet"
    assert from_set.spec.issuer_ref.name == "self", "the issuer is inherited from the parent Gateway"

    apply(gateway_api, [gateway(ns, [https("a", "www.example.com", "gw-a")])])
    await wait_for(
        kube_store,
        Certificate,
        "gw-a",
        ns,
        lambda c: c.spec.dns_names == ["www.example.com"],
        daemons=(daemon,),
    )
    await wait_gone(kube_store, Certificate, "gw-b", ns)


async def test_the_gateway_shim_is_off_without_its_flag(
    gateway_api: Any, kube_namespace: str, kube_store: KubernetesStore, daemons: DaemonFactory
) -> None:
    ns = kube_namespace
    apply(gateway_api, [self_signed_issuer(ns), gateway(ns, [https("a", "a.example.com", "gw-a")])])
    apply(
        gateway_api,
        [ingress(ns, {"cert-manager.io/issuer": "self"}, [{"hosts": ["i.example"], "secretName": "i"}])],
    )
    daemon = shim_daemon(daemons, ns)
    await wait_ready(kube_store, "i", ns, daemon)
    certificates, _ = await kube_store.list(Certificate, ns)
    assert [c.name for c in certificates] == ["i"], "Gateways are left alone unless --enable-gateway-api"


class UnservedKind(Resource):
    """A kind of a group no CRD installs, as Gateway is on a cluster without the Gateway API."""

    API_VERSION = "shims.certpilot.invalid/v1"
    KIND = "Unserved"
    PLURAL = "unserveds"
    SINGULAR = "unserved"


async def test_the_store_tells_a_served_kind_from_an_unserved_one(
    gateway_api: Any, kube_store: KubernetesStore
) -> None:
    assert await kube_store.serves(Ingress)
    assert await kube_store.serves(Secret)
    assert not await kube_store.serves(UnservedKind)
    every_shim = ShimOptions(enable_gateway_api=True, enable_gateway_api_listenerset=True)
    assert await served_shim_kinds(kube_store, every_shim) == {Ingress, Gateway, ListenerSet}
