"""The daemon on a Kubernetes cluster: the same controllers, with the API server as the store.

Differences from standalone, each as cert-manager does it: replicas elect a leader on a
coordination.k8s.io Lease and only the leader reconciles (every replica keeps its caches warm, so
a new leader starts at once); HTTP-01 is answered by solver Pods, Services and Ingresses or
HTTPRoutes, not by the daemon; only the Secrets certpilot manages are cached (labelled
controller.cert-manager.io/fao), other Secrets are read when needed; Leases and Events are never
cached. The CA injector (cainjector) runs here only: its targets are cluster objects.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid

from lightkube import AsyncClient

from certpilot.acme.solvers.dns01.webhook_apiserver import ThroughApiServer
from certpilot.acme.solvers.http01_cluster.presenter import KubernetesHttp01Presenter
from certpilot.api.annotations import PART_OF_LABEL
from certpilot.api.ca_injectables import (
    INJECTABLE_KINDS,
    APIService,
    CustomResourceDefinition,
    ForeignResource,
    MutatingWebhookConfiguration,
    ValidatingWebhookConfiguration,
)
from certpilot.api.core import Lease, Secret
from certpilot.api.meta import Resource
from certpilot.api.registry import all_kinds
from certpilot.controllers.all_controllers import Factory, run_controllers
from certpilot.controllers.cainjector import cainjector_controllers as cainjector_setup
from certpilot.controllers.cainjector.controller import CAInjectorSettings
from certpilot.controllers.kubernetes_options import KubernetesOptions
from certpilot.controllers.options import ControllerOptions, DaemonOptions
from certpilot.controllers.shims import shim_controllers as shims_setup
from certpilot.controllers.shims.options import ShimOptions
from certpilot.runtime.clock import Clock, SystemClock
from certpilot.runtime.leader import DEFAULT_LEASE_NAME, LeaderElector
from certpilot.runtime.manager import Manager, default_cache_kinds
from certpilot.server.access_review import SubjectAccessReviews
from certpilot.server.webhook import WebhookConfig, WebhookServer, parse_secret_name
from certpilot.store.kube_connection import KubeConnection, load_connection
from certpilot.store.kubernetes import KubernetesStore

log = logging.getLogger(__name__)

MANAGED_SECRETS_SELECTOR = f"{PART_OF_LABEL}=true"


def leader_identity() -> str:
    """client-go's: the host (the Pod's name in a cluster) and a unique suffix per process."""
    return f"{socket.gethostname()}_{uuid.uuid4()}"


async def served_shim_kinds(store: KubernetesStore, options: ShimOptions) -> set[type[Resource]]:
    """The shims' source kinds the flags turn on and the API server serves; a kind turned on but not
    served (the Gateway API CRDs not installed) is logged, and its shim stays off."""
    served: set[type[Resource]] = set()
    for kind in shims_setup.wanted_kinds(options):
        if await store.serves(kind):
            served.add(kind)
        else:
            log.warning(
                "%s shim off: the API server does not serve %s %s (for Gateways and ListenerSets: "
                "install the Gateway API CRDs, then restart certpilot)",
                kind.KIND,
                kind.API_VERSION,
                kind.PLURAL,
            )
    return served


def injectable_kinds(kube: KubernetesOptions) -> list[type[ForeignResource]]:
    """The kinds the CA injector serves: none when it is off, else those not turned off."""
    if not kube.enable_cainjector:
        return []
    enabled = {
        ValidatingWebhookConfiguration: kube.enable_validatingwebhookconfigurations_injectable,
        MutatingWebhookConfiguration: kube.enable_mutatingwebhookconfigurations_injectable,
        CustomResourceDefinition: kube.enable_customresourcedefinitions_injectable,
        APIService: kube.enable_apiservices_injectable,
    }
    return [kind for kind in INJECTABLE_KINDS if enabled[kind]]


def kubernetes_only_controllers(kube: KubernetesOptions, connection: KubeConnection) -> list[Factory]:
    """The CA injector's controllers (cert-manager runs them as its separate cainjector binary)."""
    kinds = injectable_kinds(kube)
    if not kinds:
        return []
    settings = CAInjectorSettings(
        apiserver_ca=connection.certificate_authority(),
        scope_namespace=kube.namespace,
        certificates_data_source=kube.enable_certificates_data_source,
    )
    return cainjector_setup.build(settings, kinds)


async def run_daemon_on_kubernetes(
    options: ControllerOptions,
    daemon: DaemonOptions,
    kube: KubernetesOptions,
    shims: ShimOptions | None = None,
    clock: Clock | None = None,
) -> None:
    """Run every controller against the cluster until SIGTERM or SIGINT (or lost leadership)."""
    connection = load_connection(kube.kubeconfig, kube.context)
    store = KubernetesStore(connection, namespace=kube.namespace)
    shims = shims or ShimOptions()
    clock = clock or SystemClock()
    elector = None
    if kube.leader_elect:
        elector = LeaderElector(
            store,
            clock,
            leader_identity(),
            name=DEFAULT_LEASE_NAME,
            namespace=kube.leader_election_namespace,
            lease_duration=int(kube.leader_election_lease_duration),
            renew_deadline=kube.leader_election_renew_deadline,
            retry_period=kube.leader_election_retry_period,
        )
    manager = Manager(
        store,
        clock,
        workers_per_controller=daemon.workers,
        thread_pool_size=daemon.thread_pool_size,
        listen=daemon.metrics_listen,
        close_store=False,
        leader_elector=elector,
        cache_kinds=[kind for kind in default_cache_kinds() if kind is not Lease],
        served_kinds=[kind for kind in all_kinds() if await store.serves(kind)],
        cache_label_selectors={Secret: MANAGED_SECRETS_SELECTOR},
        restart_policy=daemon.memory_restart_policy(),
    )
    log.info(
        "daemon starting on Kubernetes",
        extra={
            "server": connection.server,
            "config": connection.source,
            "namespace": kube.namespace or "(all)",
            "leader_election": kube.leader_elect,
            "pid": os.getpid(),
        },
    )
    webhook = await start_webhook(store, kube, kube.webhook_listen) if kube.webhook_listen else None
    try:
        shim_factories: list[Factory] = shims_setup.build(shims, await served_shim_kinds(store, shims))
        await run_controllers(
            manager,
            options,
            [*shim_factories, *kubernetes_only_controllers(kube, connection)],
            http01=KubernetesHttp01Presenter(store, kube.http01_solver),
            dns01_webhooks=ThroughApiServer(store),
        )
    finally:
        if webhook is not None:
            await webhook.stop()
        await store.close()


async def start_webhook(store: KubernetesStore, kube: KubernetesOptions, listen: str) -> WebhookServer:
    """The admission webhook beside the controllers, on every replica: its CA in a Secret through
    the store, approvals checked with SubjectAccessReviews on the same cluster. It starts first, so a
    port in use stops the daemon at once."""
    namespace, name = parse_secret_name(kube.webhook_ca_secret)
    reviews = SubjectAccessReviews(AsyncClient(config=store.connection.config))
    hosts = kube.webhook_dns_names or ("localhost",)
    server = WebhookServer(store, reviews, WebhookConfig(listen, hosts, namespace, name))
    await server.start()
    return server
