"""DNS-01 webhook solvers on Kubernetes, reached as cert-manager reaches them: a POST of the
ChallengePayload to `/apis/<groupName>/v1alpha1/<solverName>` on the real kube-apiserver, whose
aggregation layer proxies it to the solver's APIService.

The solver is the suite's stand-in for a webhook built on cert-manager's pkg/acme/webhook
(certpilot.testing.peers.dns_webhook), registered as a real cluster would register it: a Service, an
EndpointSlice and an APIService trusting its serving CA. It checks the aggregator's front-proxy client
certificate and writes TXT records to a real BIND. Kubernetes refuses loopback addresses in
EndpointSlices, so it listens on a non-loopback address of this host; without one, the tests skip.
"""

from __future__ import annotations

import asyncio
import base64
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from certpilot.acme.solvers.dns01.errors import WebhookError
from certpilot.acme.solvers.dns01.provider import Dns01Request
from certpilot.acme.solvers.dns01.webhook import WebhookProvider
from certpilot.acme.solvers.dns01.webhook_apiserver import ThroughApiServer
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderWebhook
from certpilot.api.ca_injectables import APIService
from certpilot.api.core import Secret
from certpilot.server.serving_certificates import issue_serving, new_ca
from certpilot.store.kube_connection import load_connection
from certpilot.store.kubernetes import KubernetesStore
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.dns_webhook import DnsWebhookServer
from certpilot.testing.peers.kube import KubeControlPlane
from certpilot.testing.peers.pebble import PebbleServer
from certpilot.testing.peers.ports import non_loopback_ipv4
from tests.e2e.kube.kube_harness import DaemonFactory, apply, openssl_verify, until, wait_ready

ADDRESS = non_loopback_ipv4()
SERVICE = "dns-webhook"

pytestmark = [
    pytest.mark.skipif(
        ADDRESS is None,
        reason="this host has no non-loopback IPv4 address: Kubernetes refuses loopback addresses in "
        "EndpointSlices, so the API server's aggregation layer cannot reach a webhook served here",
    ),
    pytest.mark.skipif(shutil.which("named") is None, reason="needs BIND 9: apt-get install bind9"),
]


@dataclass
class RegisteredWebhook:
    server: DnsWebhookServer
    group: str


def registration(namespace: str, group: str, port: int, ca_pem: bytes) -> list[dict[str, Any]]:
    """What a webhook's Helm chart creates (its Deployment's Pod replaced by an EndpointSlice)."""
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": SERVICE, "namespace": namespace},
            "spec": {"ports": [{"name": "https", "port": 443, "targetPort": port}]},
        },
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": f"{SERVICE}-1",
                "namespace": namespace,
                "labels": {"kubernetes.io/service-name": SERVICE},
            },
            "addressType": "IPv4",
            "endpoints": [{"addresses": [ADDRESS], "conditions": {"ready": True}}],
            "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
        },
        {
            "apiVersion": "apiregistration.k8s.io/v1",
            "kind": "APIService",
            "metadata": {"name": f"v1alpha1.{group}"},
            "spec": {
                "group": group,
                "version": "v1alpha1",
                "groupPriorityMinimum": 1000,
                "versionPriority": 15,
                "service": {"name": SERVICE, "namespace": namespace, "port": 443},
                "caBundle": base64.b64encode(ca_pem).decode(),
            },
        },
    ]


def is_available(service: APIService) -> bool:
    conditions = (service.status or {}).get("conditions") or []
    return any(c.get("type") == "Available" and c.get("status") == "True" for c in conditions)


@pytest.fixture
async def webhook(
    cluster: KubeControlPlane,
    kube_namespace: str,
    kube_store: KubernetesStore,
    bind: BindServer,
    cluster_objects: list[tuple[str, str]],
) -> AsyncIterator[RegisteredWebhook]:
    assert ADDRESS is not None
    group = f"{kube_namespace}.acme.example.test"
    now = datetime.now(UTC)
    ca = new_ca(now)
    serving = issue_serving(ca, [f"{SERVICE}.{kube_namespace}.svc"], now)
    async with DnsWebhookServer(
        group, bind, host=ADDRESS, serving=serving, front_proxy_ca=cluster.front_proxy_ca_file
    ) as server:
        cluster_objects.append(("apiservice", f"v1alpha1.{group}"))
        # kubectl runs in a thread: the aggregator probes the webhook (this event loop) meanwhile.
        await asyncio.to_thread(
            apply, cluster, registration(kube_namespace, group, server.port, ca.certificate_pem)
        )

        async def available() -> bool:
            return is_available(await kube_store.get(APIService, f"v1alpha1.{group}"))

        await until(available, 60, f"APIService v1alpha1.{group} to become Available")
        yield RegisteredWebhook(server, group)


async def no_secrets(name: str, key: str) -> bytes:
    raise KeyError(name)


def request(group: str, solver: str, value: str, config: object = None) -> Dns01Request:
    return Dns01Request(
        dns_name="aggregated.example.test",
        fqdn="_acme-challenge.aggregated.example.test.",
        zone="example.test.",
        value=value,
        config=ACMEIssuerDNS01ProviderWebhook(group_name=group, solver_name=solver, config=config),
        get_secret_value=no_secrets,
        resource_namespace="team-a",
    )


async def test_the_payload_goes_through_the_aggregation_layer_with_certpilots_identity(
    webhook: RegisteredWebhook, kube_store: KubernetesStore, bind: BindServer
) -> None:
    provider = WebhookProvider(ThroughApiServer(kube_store))
    solver, fqdn = webhook.server.solver_name, "_acme-challenge.aggregated.example.test"
    await provider.present(request(webhook.group, solver, "through-the-apiserver"))
    assert bind.query_txt(fqdn) == ["through-the-apiserver"]
    call = webhook.server.calls[-1]
    assert call.user == "admin", "the aggregator names the caller (the kubeconfig's user)"
    assert "apiVersion" not in call.body
    assert call.body["request"]["action"] == "Present"

    with pytest.raises(WebhookError, match=r"failed to Present: RFC2136 update of nowhere\.test\.") as caught:
        await provider.present(request(webhook.group, solver, "never-shown", {"zone": "nowhere.test."}))
    assert "never-shown" not in str(caught.value)

    with pytest.raises(WebhookError, match="HTTP 404 to Present"):
        await provider.present(request(webhook.group, "no-such-solver", "v"))

    await provider.cleanup(request(webhook.group, solver, "through-the-apiserver"))
    assert bind.query_txt(fqdn) == []
    assert webhook.server.calls[-1].body["request"]["action"] == "CleanUp"


async def test_rbac_decides_who_may_call_the_solver(
    cluster: KubeControlPlane, webhook: RegisteredWebhook
) -> None:
    """As in cert-manager's webhook charts: `create` on the solver's resource in its group."""
    alice = KubernetesStore(load_connection(cluster.kubeconfig_for("alice")))
    try:
        provider = WebhookProvider(ThroughApiServer(alice))
        solver = webhook.server.solver_name
        with pytest.raises(
            WebhookError, match=f'HTTP 403 to Present: .*"alice" cannot create resource "{solver}"'
        ):
            await provider.present(request(webhook.group, solver, "refused"))
        role = f"{webhook.group}:solver"
        await asyncio.to_thread(
            cluster.kubectl,
            "create",
            "clusterrole",
            role,
            "--verb=create",
            f"--resource={solver}.{webhook.group}",
        )
        await asyncio.to_thread(
            cluster.kubectl, "create", "clusterrolebinding", role, f"--clusterrole={role}", "--user=alice"
        )
        try:
            await provider.present(request(webhook.group, solver, "allowed"))
            assert webhook.server.calls[-1].user == "alice"
            await provider.cleanup(request(webhook.group, solver, "allowed"))
        finally:
            await asyncio.to_thread(
                cluster.kubectl, "delete", "clusterrolebinding,clusterrole", role, check=False
            )
    finally:
        await alice.close()


async def test_a_certificate_is_issued_through_the_aggregated_webhook(
    cluster: KubeControlPlane,
    kube_namespace: str,
    kube_store: KubernetesStore,
    daemons: DaemonFactory,
    webhook: RegisteredWebhook,
    bind: BindServer,
    pebble: PebbleServer,
    tmp_path: Path,
) -> None:
    dns_name = f"{kube_namespace}.example.test"
    solver = {"webhook": {"groupName": webhook.group, "solverName": webhook.server.solver_name}}
    objects = [
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Issuer",
            "metadata": {"name": "acme", "namespace": kube_namespace},
            "spec": {
                "acme": {
                    "server": pebble.directory_url,
                    "caBundle": base64.b64encode(pebble.ca_bundle_path.read_bytes()).decode(),
                    "privateKeySecretRef": {"name": "acme-account-key"},
                    "solvers": [{"dns01": solver}],
                }
            },
        },
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": "site", "namespace": kube_namespace},
            "spec": {
                "secretName": "site-tls",
                "dnsNames": [dns_name],
                "privateKey": {"algorithm": "ECDSA", "size": 256},
                "issuerRef": {"name": "acme"},
            },
        },
    ]
    await asyncio.to_thread(apply, cluster, objects)
    daemon = daemons(
        "--namespace",
        kube_namespace,
        "--dns01-recursive-nameservers",
        bind.address,
        "--dns01-recursive-nameservers-only",
        "--dns01-check-retry-period",
        "0.5",
    )
    await wait_ready(kube_store, "site", kube_namespace, daemon, within_seconds=120)

    secret = await kube_store.get(Secret, "site-tls", kube_namespace)
    chain = secret.get_data("tls.crt")
    assert chain
    verified = openssl_verify(chain, pebble.fetch_root().encode(), tmp_path)
    assert verified.returncode == 0, verified.stderr

    async def cleaned_up() -> bool:
        return any(call.body["request"]["action"] == "CleanUp" for call in webhook.server.calls)

    await until(cleaned_up, 30, "the daemon to clean up through the webhook")
    calls = webhook.server.calls
    assert {call.user for call in calls} == {"admin"}
    assert calls[0].body["request"]["resourceNamespace"] == kube_namespace
    assert bind.query_txt(f"_acme-challenge.{dns_name}") == []
