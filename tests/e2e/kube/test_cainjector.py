"""The CA injector on the real control plane: caBundle injected into a ValidatingWebhookConfiguration
whose webhook the API server then calls (and could not before), kept across a CA rotation; into a
MutatingWebhookConfiguration and a CRD's conversion webhook from a Secret that allows direct
injection; and the API server's own CA into an APIService."""

from __future__ import annotations

import base64
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from certpilot.api.annotations import ALLOW_DIRECT_INJECTION
from certpilot.api.ca_injectables import (
    INJECT_APISERVER_CA,
    INJECT_CA_FROM,
    INJECT_CA_FROM_SECRET,
    APIService,
    CustomResourceDefinition,
    MutatingWebhookConfiguration,
    ValidatingWebhookConfiguration,
    decode_bundle,
)
from certpilot.api.core import Secret
from certpilot.store.kube_connection import load_connection
from certpilot.store.kubernetes import KubernetesStore
from tests.e2e.kube.kube_harness import DaemonFactory, apply, self_signed_issuer, until, wait_for, wait_ready
from tests.e2e.kube.webhook_server import AllowingWebhook

TEST_LABEL = "cainjector.certpilot.test/checked"


def ca_documents(namespace: str) -> list[dict[str, Any]]:
    """A self-signed CA whose Secret allows direct injection, an Issuer on it, a serving certificate
    for 127.0.0.1 from it."""
    return [
        self_signed_issuer(namespace),
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": "ca", "namespace": namespace},
            "spec": {
                "isCA": True,
                "commonName": "cainjector test CA",
                "secretName": "ca",
                "secretTemplate": {"annotations": {ALLOW_DIRECT_INJECTION: "true"}},
                "privateKey": {"algorithm": "ECDSA", "rotationPolicy": "Always"},
                "issuerRef": {"name": "self", "kind": "Issuer"},
            },
        },
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Issuer",
            "metadata": {"name": "ca", "namespace": namespace},
            "spec": {"ca": {"secretName": "ca"}},
        },
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": "webhook", "namespace": namespace},
            "spec": {
                "secretName": "webhook-tls",
                "ipAddresses": ["127.0.0.1"],
                "privateKey": {"algorithm": "ECDSA"},
                "issuerRef": {"name": "ca", "kind": "Issuer"},
            },
        },
    ]


def validating_webhook(name: str, namespace: str, url: str) -> dict[str, Any]:
    """Checks creations of ConfigMaps labelled TEST_LABEL in the test namespace only; Fail closed."""
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": name},
        "webhooks": [
            {
                "name": f"configmaps.{name}.certpilot.test",
                "clientConfig": {"url": url},
                "rules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE"],
                        "resources": ["configmaps"],
                    }
                ],
                "failurePolicy": "Fail",
                "sideEffects": "None",
                "admissionReviewVersions": ["v1"],
                "timeoutSeconds": 5,
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
                "objectSelector": {"matchLabels": {TEST_LABEL: "yes"}},
            }
        ],
    }


def create_checked_configmap(cluster: Any, namespace: str) -> subprocess.CompletedProcess[str]:
    name = f"checked-{uuid.uuid4().hex[:8]}"
    manifest = (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
        f"  labels:\n    {TEST_LABEL}: 'yes'\ndata:\n  a: b\n"
    )
    result: subprocess.CompletedProcess[str] = cluster.kubectl(
        "create", "-f", "-", input=manifest, check=False
    )
    return result


def bundle_of_webhooks(target: ValidatingWebhookConfiguration | MutatingWebhookConfiguration) -> bytes:
    [webhook] = target.webhooks or []
    return decode_bundle(webhook.client_config.ca_bundle)


def renew(cluster: Any, namespace: str, name: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "certpilot.cli",
            "renew",
            name,
            "-n",
            namespace,
            "--kubeconfig",
            str(cluster.kubeconfig),
        ],
        check=True,
        capture_output=True,
        text=True,
    )


async def test_an_injected_ca_makes_the_api_server_trust_a_webhook_and_follows_ca_rotation(
    cluster: Any,
    kube_namespace: str,
    kube_store: KubernetesStore,
    daemons: DaemonFactory,
    cluster_objects: list[tuple[str, str]],
    tmp_path: Path,
) -> None:
    namespace = kube_namespace
    apply(cluster, ca_documents(namespace))
    daemon = daemons()
    await wait_ready(kube_store, "ca", namespace, daemon)
    await wait_ready(kube_store, "webhook", namespace, daemon)
    ca_pem = (await kube_store.get(Secret, "ca", namespace)).get_data("ca.crt")
    serving = await kube_store.get(Secret, "webhook-tls", namespace)
    assert ca_pem and serving.get_data("ca.crt") == ca_pem

    with AllowingWebhook(
        serving.get_data("tls.crt") or b"", serving.get_data("tls.key") or b"", tmp_path
    ) as server:
        name = f"{namespace}-cainjector"
        cluster_objects.append(("validatingwebhookconfiguration", name))
        apply(cluster, [validating_webhook(name, namespace, server.url)])

        # Without a caBundle the API server cannot verify the webhook's certificate: creation fails
        # closed (once the API server has loaded the configuration).
        refused: list[str] = []

        def refused_for_tls() -> bool:
            result = create_checked_configmap(cluster, namespace)
            refused.append(result.stderr)
            return result.returncode != 0

        await until(refused_for_tls, 30, "the API server calling the webhook without trusting it")
        assert "x509: certificate signed by unknown authority" in refused[-1], refused[-1]
        assert server.reviews == 0

        cluster.kubectl(
            "annotate", "validatingwebhookconfiguration", name, f"{INJECT_CA_FROM}={namespace}/ca"
        )
        injected = await wait_for(
            kube_store,
            ValidatingWebhookConfiguration,
            name,
            None,
            lambda t: bool(bundle_of_webhooks(t)),
            30,
            (daemon,),
        )
        assert bundle_of_webhooks(injected) == ca_pem

        def accepted() -> bool:
            return create_checked_configmap(cluster, namespace).returncode == 0

        await until(accepted, 30, "the API server trusting the webhook through the injected caBundle")
        assert server.reviews >= 1, "the ConfigMap was created without the webhook being called"

        # Rotation: a renewed CA (new key) is added to the bundle; the old one stays trusted until
        # it expires (cert-manager's merging), so the webhook serving from it keeps working.
        renew(cluster, namespace, "ca")
        rotated = await wait_for(
            kube_store, Secret, "ca", namespace, lambda s: s.get_data("ca.crt") not in (None, ca_pem), 60
        )
        new_ca = rotated.get_data("ca.crt")
        assert new_ca
        updated = await wait_for(
            kube_store,
            ValidatingWebhookConfiguration,
            name,
            None,
            lambda t: new_ca in bundle_of_webhooks(t),
            30,
            (daemon,),
        )
        assert bundle_of_webhooks(updated) == ca_pem + new_ca
        reviews = server.reviews
        await until(accepted, 30, "the webhook still trusted after the CA rotation")
        assert server.reviews > reviews


def conversion_crd(group: str) -> dict[str, Any]:
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group,
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
            "scope": "Namespaced",
            "versions": [
                {"name": "v1", "served": True, "storage": True, "schema": schema},
                {"name": "v2", "served": True, "storage": False, "schema": schema},
            ],
            "conversion": {
                "strategy": "Webhook",
                "webhook": {
                    "conversionReviewVersions": ["v1"],
                    "clientConfig": {"url": "https://127.0.0.1:9/convert"},
                },
            },
        },
    }


def mutating_webhook(name: str) -> dict[str, Any]:
    """Selects no object at all (a label nothing carries), so it changes nothing on the cluster."""
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": name},
        "webhooks": [
            {
                "name": f"never.{name}.certpilot.test",
                "clientConfig": {"url": "https://127.0.0.1:9/mutate"},
                "rules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE"],
                        "resources": ["configmaps"],
                    }
                ],
                "failurePolicy": "Ignore",
                "sideEffects": "None",
                "admissionReviewVersions": ["v1"],
                "objectSelector": {"matchLabels": {TEST_LABEL: "never"}},
            }
        ],
    }


def api_service(name: str, group: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiregistration.k8s.io/v1",
        "kind": "APIService",
        "metadata": {"name": name},
        "spec": {
            "group": group,
            "version": "v1alpha1",
            "service": {"namespace": namespace, "name": "nothing-listens", "port": 443},
            "groupPriorityMinimum": 1000,
            "versionPriority": 15,
        },
    }


async def test_crd_conversion_mutating_webhooks_and_apiservices_get_their_bundles(
    cluster: Any,
    kube_namespace: str,
    kube_store: KubernetesStore,
    daemons: DaemonFactory,
    cluster_objects: list[tuple[str, str]],
) -> None:
    namespace = kube_namespace
    apply(cluster, ca_documents(namespace)[:2])
    daemon = daemons()
    await wait_ready(kube_store, "ca", namespace, daemon)
    ca_pem = (await kube_store.get(Secret, "ca", namespace)).get_data("ca.crt")
    assert ca_pem
    group = f"{namespace}.cainjector.certpilot.test"
    crd = conversion_crd(group)
    crd["metadata"]["annotations"] = {INJECT_CA_FROM_SECRET: f"{namespace}/ca"}
    mutating = mutating_webhook(f"{namespace}-cainjector")
    mutating["metadata"]["annotations"] = {INJECT_CA_FROM_SECRET: f"{namespace}/ca"}
    service_name = f"v1alpha1.{group}"
    service = api_service(service_name, group, namespace)
    service["metadata"]["annotations"] = {INJECT_APISERVER_CA: "true"}
    cluster_objects.extend(
        [
            ("customresourcedefinition", crd["metadata"]["name"]),
            ("mutatingwebhookconfiguration", mutating["metadata"]["name"]),
            ("apiservice", service_name),
        ]
    )
    apply(cluster, [crd, mutating, service])

    def crd_bundle(target: CustomResourceDefinition) -> bytes:
        conversion = target.spec.conversion
        assert conversion and conversion.webhook and conversion.webhook.client_config
        return decode_bundle(conversion.webhook.client_config.ca_bundle)

    converted = await wait_for(
        kube_store,
        CustomResourceDefinition,
        crd["metadata"]["name"],
        None,
        lambda t: bool(crd_bundle(t)),
        30,
        (daemon,),
    )
    assert crd_bundle(converted) == ca_pem
    # Everything else of the CRD came back as it was sent: the injector's write lost nothing.
    stored = cluster.kubectl("get", "crd", crd["metadata"]["name"], "-o", "json").stdout
    assert '"x-kubernetes-preserve-unknown-fields":true' in stored.replace(" ", "")
    assert converted.model_dump(by_alias=True)["spec"]["versions"][1]["name"] == "v2"

    injected = await wait_for(
        kube_store,
        MutatingWebhookConfiguration,
        mutating["metadata"]["name"],
        None,
        lambda t: bool(bundle_of_webhooks(t)),
        30,
        (daemon,),
    )
    assert bundle_of_webhooks(injected) == ca_pem
    [webhook] = injected.webhooks or []
    assert webhook.model_dump(by_alias=True)["objectSelector"] == {"matchLabels": {TEST_LABEL: "never"}}

    apiserver_ca = load_connection(cluster.kubeconfig).certificate_authority()
    assert apiserver_ca
    registered = await wait_for(
        kube_store, APIService, service_name, None, lambda t: bool(t.spec.ca_bundle), 30, (daemon,)
    )
    assert base64.b64decode(registered.spec.ca_bundle or "") == apiserver_ca


async def test_a_secret_that_does_not_allow_direct_injection_is_not_injected(
    cluster: Any,
    kube_namespace: str,
    kube_store: KubernetesStore,
    daemons: DaemonFactory,
    cluster_objects: list[tuple[str, str]],
) -> None:
    namespace = kube_namespace
    documents = ca_documents(namespace)[:2]
    del documents[1]["spec"]["secretTemplate"]
    apply(cluster, documents)
    daemon = daemons()
    await wait_ready(kube_store, "ca", namespace, daemon)
    refused = mutating_webhook(f"{namespace}-refused")
    refused["metadata"]["annotations"] = {INJECT_CA_FROM_SECRET: f"{namespace}/ca"}
    allowed = mutating_webhook(f"{namespace}-through-certificate")
    allowed["metadata"]["annotations"] = {INJECT_CA_FROM: f"{namespace}/ca"}
    cluster_objects.extend(
        [
            ("mutatingwebhookconfiguration", refused["metadata"]["name"]),
            ("mutatingwebhookconfiguration", allowed["metadata"]["name"]),
        ]
    )
    apply(cluster, [refused, allowed])
    # The same CA through its Certificate is injected; once it is, the refusal has been decided too
    # (the daemon logs it), and the Secret-sourced bundle is still empty.
    await wait_for(
        kube_store,
        MutatingWebhookConfiguration,
        allowed["metadata"]["name"],
        None,
        lambda t: bool(bundle_of_webhooks(t)),
        30,
        (daemon,),
    )
    await until(lambda: "does not allow direct injection" in daemon.log(), 30, "the refusal logged")
    still = await kube_store.get(MutatingWebhookConfiguration, refused["metadata"]["name"])
    assert bundle_of_webhooks(still) == b""


async def test_a_secret_certpilot_does_not_manage_is_read_directly_and_injected(
    cluster: Any,
    kube_namespace: str,
    kube_store: KubernetesStore,
    daemons: DaemonFactory,
    cluster_objects: list[tuple[str, str]],
) -> None:
    """A user's own Secret (no certpilot label, so not in the daemon's cache) that allows direct
    injection: read from the API server when its target is reconciled."""
    namespace = kube_namespace
    apply(cluster, ca_documents(namespace)[:2])
    daemon = daemons()
    await wait_ready(kube_store, "ca", namespace, daemon)
    ca_pem = (await kube_store.get(Secret, "ca", namespace)).get_data("ca.crt")
    assert ca_pem
    user_secret = Secret.model_validate(
        {
            "metadata": {
                "name": "users-ca",
                "namespace": namespace,
                "annotations": {ALLOW_DIRECT_INJECTION: "true"},
            },
        }
    )
    user_secret.set_data("ca.crt", ca_pem)
    await kube_store.create(user_secret)
    target = mutating_webhook(f"{namespace}-users-secret")
    target["metadata"]["annotations"] = {INJECT_CA_FROM_SECRET: f"{namespace}/users-ca"}
    cluster_objects.append(("mutatingwebhookconfiguration", target["metadata"]["name"]))
    apply(cluster, [target])
    injected = await wait_for(
        kube_store,
        MutatingWebhookConfiguration,
        target["metadata"]["name"],
        None,
        lambda t: bool(bundle_of_webhooks(t)),
        30,
        (daemon,),
    )
    assert bundle_of_webhooks(injected) == ca_pem
