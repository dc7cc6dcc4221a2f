"""`certpilot run`: the daemon on the embedded store, or on a Kubernetes cluster.

Every field of ControllerOptions, DaemonOptions, KubernetesOptions and ShimOptions has a flag here (a
test checks it), and each flag's default is read from those classes, so a default lives in one place
only. Adding an option: a field there, a flag parameter named like the field here, and its line where
run_command builds the option objects from the flags."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal, NoReturn

import typer

from certpilot.acme.solvers.http01_cluster.settings import SolverSettings
from certpilot.api.duration import InvalidDuration, format_duration, parse_duration
from certpilot.cli.context import resolve_store_path
from certpilot.cli.errors import CLIError
from certpilot.cli.options import EncryptionKeyOption, StoreOption
from certpilot.controllers.kubernetes_options import KubernetesOptions
from certpilot.controllers.options import ControllerOptions, DaemonOptions
from certpilot.controllers.shims.options import ShimOptions
from certpilot.runtime.lock import InstanceLocked
from certpilot.runtime.logging import setup_logging
from certpilot.runtime.memory.restart_to_shrink import RestartToReturnMemory
from certpilot.store.private_file import make_private_directories

CONTROLLER = ControllerOptions()
DAEMON = DaemonOptions()
KUBE = KubernetesOptions()
SHIMS = ShimOptions()
SOLVER = SolverSettings()

log = logging.getLogger(__name__)

Many = list[str] | None


def _split(values: Many, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Repeated and comma-separated values; `default` when the flag is not given."""
    if values is None:
        return default
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())


def _duration(flag: str, value: str) -> timedelta:
    try:
        return parse_duration(value)
    except InvalidDuration as e:
        raise CLIError(f"{flag}: {e}") from None


def _labels(flag: str, values: Many) -> dict[str, str]:
    """`KEY=VALUE` pairs (repeatable or comma-separated)."""
    labels: dict[str, str] = {}
    for pair in _split(values):
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CLIError(f"{flag}: {pair!r} is not KEY=VALUE, e.g. team=web")
        labels[key.strip()] = value.strip()
    return labels


def _webhook_urls(values: Many) -> dict[str, str]:
    """`GROUP=URL` pairs (repeatable or comma-separated) -> {groupName: base URL}."""
    urls: dict[str, str] = {}
    for pair in _split(values):
        group, sep, url = pair.partition("=")
        if not sep or not group.strip() or not url.strip().startswith(("https://", "http://")):
            raise CLIError(
                f"--dns01-webhook-url: {pair!r} is not GROUP=URL, e.g. acme.example.com=https://127.0.0.1:8443"
            )
        urls[group.strip()] = url.strip()
    return urls


def _log_format(value: str) -> Literal["text", "json"]:
    if value not in ("text", "json"):
        raise CLIError(f"--log-format: {value!r} is not allowed; use text or json")
    return "json" if value == "json" else "text"


def issuance_backoff(initial: str, maximum: str) -> tuple[timedelta, timedelta]:
    """The failed-issuance backoff options: a wait that doubles from `initial` per failure,
    never beyond `maximum` (cert-manager's certificate-request minimum / maximum backoff)."""
    first = _duration("--issuance-backoff-initial", initial)
    longest = _duration("--issuance-backoff-max", maximum)
    for flag, value in (("--issuance-backoff-initial", first), ("--issuance-backoff-max", longest)):
        if value <= timedelta(0):
            raise CLIError(f"{flag}: must be positive, got {value}")
    if longest < first:
        raise CLIError(
            f"--issuance-backoff-max ({maximum}) must be at least --issuance-backoff-initial ({initial})"
        )
    return first, longest


def run_command(
    store: StoreOption = None,
    encryption_key_file: EncryptionKeyOption = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(envvar="CERTPILOT_OUTPUT_DIR", help="Mirror Secrets to files here."),
    ] = CONTROLLER.output_dir,
    output_hook: Annotated[
        str | None,
        typer.Option("--hook", envvar="CERTPILOT_HOOK", help="Command run after mirrored files change."),
    ] = CONTROLLER.output_hook,
    output_hook_timeout: Annotated[
        float, typer.Option("--hook-timeout", help="Seconds a hook may run.")
    ] = CONTROLLER.output_hook_timeout,
    metrics_listen: Annotated[
        str, typer.Option(help="host:port of /metrics, /healthz, /readyz ('' turns it off).")
    ] = DAEMON.metrics_listen or "",
    workers: Annotated[int, typer.Option(help="Workers per controller.")] = DAEMON.workers,
    thread_pool_size: Annotated[
        int, typer.Option(help="Threads for blocking work (key generation...).")
    ] = DAEMON.thread_pool_size,
    cluster_resource_namespace: Annotated[
        str, typer.Option(help="Namespace of ClusterIssuers' Secrets.")
    ] = CONTROLLER.cluster_resource_namespace,
    auto_approve: Annotated[
        bool, typer.Option(help="Approve requests for certpilot's own issuers.")
    ] = CONTROLLER.auto_approve,
    approve_signers: Annotated[Many, typer.Option(help="Also approve these (group/kind).")] = None,
    # cert-manager's own names for the same two durations are accepted too.
    issuance_backoff_initial: Annotated[
        str,
        typer.Option(
            "--issuance-backoff-initial",
            "--certificate-request-minimum-backoff-duration",
            help="First wait after a failed issuance.",
        ),
    ] = format_duration(CONTROLLER.issuance_backoff_initial),
    issuance_backoff_max: Annotated[
        str,
        typer.Option(
            "--issuance-backoff-max",
            "--certificate-request-maximum-backoff-duration",
            help="Longest wait after failed issuances.",
        ),
    ] = format_duration(CONTROLLER.issuance_backoff_max),
    enable_certificate_owner_ref: Annotated[
        bool, typer.Option(help="Make Certificates own their Secrets (deleted with them).")
    ] = CONTROLLER.enable_certificate_owner_ref,
    max_concurrent_challenges: Annotated[
        int, typer.Option(help="ACME challenges in progress at once.")
    ] = CONTROLLER.max_concurrent_challenges,
    acme_http_timeout: Annotated[
        int, typer.Option(help="Seconds one HTTP call to an ACME server may take.")
    ] = CONTROLLER.acme_http_timeout,
    dns01_recursive_nameservers: Annotated[
        Many, typer.Option(help="host:port used to find a zone's authoritative servers.")
    ] = None,
    dns01_recursive_nameservers_only: Annotated[
        bool, typer.Option(help="Query only the recursive nameservers in the DNS-01 self-check.")
    ] = CONTROLLER.dns01_recursive_nameservers_only,
    dns01_check_retry_period: Annotated[
        float, typer.Option(help="Seconds between DNS-01 checks.")
    ] = CONTROLLER.dns01_check_retry_period.total_seconds(),
    dns01_webhook_urls: Annotated[
        Many,
        typer.Option(
            "--dns01-webhook-url",
            help="GROUP=URL: where the DNS-01 webhook solver of that groupName listens (repeatable).",
        ),
    ] = None,
    copied_annotation_prefixes: Annotated[
        Many,
        typer.Option(
            help="Certificate annotations copied to its CertificateRequests and Orders: prefixes, "
            "'*' for all, '-PREFIX' to leave out.",
            show_default=",".join(CONTROLLER.copied_annotation_prefixes),
        ),
    ] = None,
    http01_listen: Annotated[
        Many,
        typer.Option(
            help="Standalone: the HTTP-01 listener, e.g. :80 ('' turns it off). On Kubernetes, "
            "solver Pods answer HTTP-01.",
            show_default=",".join(CONTROLLER.http01_listen),
        ),
    ] = None,
    tlsalpn01_listen: Annotated[Many, typer.Option(help="TLS-ALPN-01 listener, e.g. :443.")] = None,
    manifests: Annotated[
        Path | None,
        typer.Option(envvar="CERTPILOT_MANIFESTS", help="Keep the store in step with this folder."),
    ] = DAEMON.manifests,
    ignore_unknown_kinds: Annotated[
        bool,
        typer.Option(help="In --manifests, skip documents of kinds certpilot does not serve (warned)."),
    ] = DAEMON.ignore_unknown_kinds,
    memory_restart_factor: Annotated[
        float,
        typer.Option(
            help="Restart in place to return memory once most cached objects are deleted and the "
            "resident memory is this many times that at start (0 turns it off)."
        ),
    ] = DAEMON.memory_restart_factor,
    memory_restart_min_objects: Annotated[
        int, typer.Option(help="...and at least this many cached objects have been deleted.")
    ] = DAEMON.memory_restart_min_objects,
    kubeconfig: Annotated[
        Path | None,
        typer.Option(help="Run on this Kubernetes cluster (kubeconfig file) instead of the embedded store."),
    ] = None,
    kubernetes: Annotated[
        bool,
        typer.Option(
            "--kubernetes",
            help="Run on Kubernetes configured by $KUBECONFIG, ~/.kube/config or the Pod's service account.",
        ),
    ] = False,
    context: Annotated[str | None, typer.Option(help="Kubernetes: the kubeconfig context to use.")] = None,
    namespace: Annotated[
        str | None, typer.Option(help="Kubernetes: watch and reconcile this namespace only.")
    ] = None,
    leader_elect: Annotated[
        bool, typer.Option(help="Kubernetes: elect one active replica.")
    ] = KUBE.leader_elect,
    leader_election_namespace: Annotated[
        str, typer.Option(help="Kubernetes: namespace of the leader election Lease.")
    ] = KUBE.leader_election_namespace,
    leader_election_lease_duration: Annotated[
        str, typer.Option(help="Kubernetes: how long a candidate waits before taking over.")
    ] = f"{KUBE.leader_election_lease_duration:g}s",
    leader_election_renew_deadline: Annotated[
        str, typer.Option(help="Kubernetes: how long the leader tries to renew before giving up.")
    ] = f"{KUBE.leader_election_renew_deadline:g}s",
    leader_election_retry_period: Annotated[
        str, typer.Option(help="Kubernetes: between attempts to acquire or renew the Lease.")
    ] = f"{KUBE.leader_election_retry_period:g}s",
    webhook_listen: Annotated[
        str | None,
        typer.Option(help="Kubernetes: host:port of the HTTPS admission webhook (off when unset)."),
    ] = KUBE.webhook_listen,
    webhook_dns_names: Annotated[
        Many, typer.Option(help="Kubernetes: DNS names / IPs in the webhook's serving certificate.")
    ] = None,
    webhook_ca_secret: Annotated[
        str, typer.Option(help="Kubernetes: namespace/name of the Secret holding the webhook's CA.")
    ] = KUBE.webhook_ca_secret,
    default_issuer_name: Annotated[
        str, typer.Option(help='Kubernetes: issuer of Ingresses annotated kubernetes.io/tls-acme: "true".')
    ] = SHIMS.default_issuer_name,
    default_issuer_kind: Annotated[
        str, typer.Option(help="Kubernetes: kind of that issuer.")
    ] = SHIMS.default_issuer_kind,
    default_issuer_group: Annotated[
        str, typer.Option(help="Kubernetes: API group of that issuer.")
    ] = SHIMS.default_issuer_group,
    enable_gateway_api: Annotated[
        bool, typer.Option(help="Kubernetes: Certificates for annotated Gateways (gateway-shim).")
    ] = SHIMS.enable_gateway_api,
    enable_gateway_api_listenerset: Annotated[
        bool,
        typer.Option(help="Kubernetes: also for ListenerSets (with --enable-gateway-api)."),
    ] = SHIMS.enable_gateway_api_listenerset,
    enable_cainjector: Annotated[
        bool,
        typer.Option(
            help="Kubernetes: keep caBundle of annotated webhook configurations, CRDs and APIServices "
            "in sync (cert-manager's cainjector)."
        ),
    ] = KUBE.enable_cainjector,
    enable_certificates_data_source: Annotated[
        bool,
        typer.Option(help="Kubernetes: let the CA injector read Certificates (inject-ca-from)."),
    ] = KUBE.enable_certificates_data_source,
    enable_validatingwebhookconfigurations_injectable: Annotated[
        bool, typer.Option(help="Kubernetes: the CA injector serves ValidatingWebhookConfigurations.")
    ] = KUBE.enable_validatingwebhookconfigurations_injectable,
    enable_mutatingwebhookconfigurations_injectable: Annotated[
        bool, typer.Option(help="Kubernetes: the CA injector serves MutatingWebhookConfigurations.")
    ] = KUBE.enable_mutatingwebhookconfigurations_injectable,
    enable_customresourcedefinitions_injectable: Annotated[
        bool,
        typer.Option(
            help="Kubernetes: the CA injector serves CustomResourceDefinitions (conversion webhooks)."
        ),
    ] = KUBE.enable_customresourcedefinitions_injectable,
    enable_apiservices_injectable: Annotated[
        bool, typer.Option(help="Kubernetes: the CA injector serves APIServices.")
    ] = KUBE.enable_apiservices_injectable,
    acme_http01_solver_image: Annotated[
        str,
        typer.Option(
            help="Kubernetes: the image of HTTP-01 solver Pods; it must run `certpilot acmesolver`."
        ),
    ] = SOLVER.image,
    acme_http01_solver_resource_request_cpu: Annotated[
        str, typer.Option(help="Kubernetes: CPU request of HTTP-01 solver Pods.")
    ] = SOLVER.resource_request_cpu,
    acme_http01_solver_resource_request_memory: Annotated[
        str, typer.Option(help="Kubernetes: memory request of HTTP-01 solver Pods.")
    ] = SOLVER.resource_request_memory,
    acme_http01_solver_resource_limits_cpu: Annotated[
        str, typer.Option(help="Kubernetes: CPU limit of HTTP-01 solver Pods.")
    ] = SOLVER.resource_limits_cpu,
    acme_http01_solver_resource_limits_memory: Annotated[
        str, typer.Option(help="Kubernetes: memory limit of HTTP-01 solver Pods.")
    ] = SOLVER.resource_limits_memory,
    acme_http01_solver_run_as_non_root: Annotated[
        bool, typer.Option(help="Kubernetes: HTTP-01 solver Pods run as a non-root user.")
    ] = SOLVER.run_as_non_root,
    acme_http01_solver_extra_labels: Annotated[
        Many,
        typer.Option(help="Kubernetes: KEY=VALUE labels added to HTTP-01 solver objects (repeatable)."),
    ] = None,
    acme_http01_solver_runtime_class_name: Annotated[
        str | None, typer.Option(help="Kubernetes: the RuntimeClass of HTTP-01 solver Pods.")
    ] = SOLVER.runtime_class_name,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
    log_format: Annotated[str, typer.Option(help="text or json.")] = "text",
) -> None:
    """Run the controllers until SIGTERM/SIGINT."""
    setup_logging(log_level, _log_format(log_format))
    backoff_initial, backoff_max = issuance_backoff(issuance_backoff_initial, issuance_backoff_max)
    options = ControllerOptions(
        cluster_resource_namespace=cluster_resource_namespace,
        auto_approve=auto_approve,
        approve_signers=_split(approve_signers, CONTROLLER.approve_signers),
        issuance_backoff_initial=backoff_initial,
        issuance_backoff_max=backoff_max,
        output_dir=output_dir,
        output_hook=output_hook,
        output_hook_timeout=output_hook_timeout,
        enable_certificate_owner_ref=enable_certificate_owner_ref,
        max_concurrent_challenges=max_concurrent_challenges,
        dns01_recursive_nameservers=_split(
            dns01_recursive_nameservers, CONTROLLER.dns01_recursive_nameservers
        ),
        dns01_recursive_nameservers_only=dns01_recursive_nameservers_only,
        dns01_check_retry_period=timedelta(seconds=dns01_check_retry_period),
        copied_annotation_prefixes=_split(copied_annotation_prefixes, CONTROLLER.copied_annotation_prefixes),
        http01_listen=_split(http01_listen, CONTROLLER.http01_listen),
        tlsalpn01_listen=_split(tlsalpn01_listen, CONTROLLER.tlsalpn01_listen),
        acme_http_timeout=acme_http_timeout,
        dns01_webhook_urls=_webhook_urls(dns01_webhook_urls) or dict(CONTROLLER.dns01_webhook_urls),
    )
    daemon = DaemonOptions(
        metrics_listen=metrics_listen or None,
        workers=workers,
        thread_pool_size=thread_pool_size,
        manifests=manifests,
        ignore_unknown_kinds=ignore_unknown_kinds,
        encryption_key_file=encryption_key_file,
        memory_restart_factor=memory_restart_factor,
        memory_restart_min_objects=memory_restart_min_objects,
    )
    try:
        daemon.memory_restart_policy()
    except ValueError as e:
        raise CLIError(f"--memory-restart-factor / --memory-restart-min-objects: {e}") from None
    if kubeconfig is not None or kubernetes:
        kube = KubernetesOptions(
            kubeconfig=kubeconfig,
            context=context,
            namespace=namespace,
            leader_elect=leader_elect,
            leader_election_namespace=leader_election_namespace,
            leader_election_lease_duration=_seconds(
                "--leader-election-lease-duration", leader_election_lease_duration
            ),
            leader_election_renew_deadline=_seconds(
                "--leader-election-renew-deadline", leader_election_renew_deadline
            ),
            leader_election_retry_period=_seconds(
                "--leader-election-retry-period", leader_election_retry_period
            ),
            webhook_listen=webhook_listen,
            webhook_dns_names=_split(webhook_dns_names, KUBE.webhook_dns_names),
            webhook_ca_secret=webhook_ca_secret,
            enable_cainjector=enable_cainjector,
            enable_certificates_data_source=enable_certificates_data_source,
            enable_validatingwebhookconfigurations_injectable=enable_validatingwebhookconfigurations_injectable,
            enable_mutatingwebhookconfigurations_injectable=enable_mutatingwebhookconfigurations_injectable,
            enable_customresourcedefinitions_injectable=enable_customresourcedefinitions_injectable,
            enable_apiservices_injectable=enable_apiservices_injectable,
            http01_solver=SolverSettings(
                image=acme_http01_solver_image,
                resource_request_cpu=acme_http01_solver_resource_request_cpu,
                resource_request_memory=acme_http01_solver_resource_request_memory,
                resource_limits_cpu=acme_http01_solver_resource_limits_cpu,
                resource_limits_memory=acme_http01_solver_resource_limits_memory,
                run_as_non_root=acme_http01_solver_run_as_non_root,
                extra_labels=_labels("--acme-http01-solver-extra-labels", acme_http01_solver_extra_labels),
                runtime_class_name=acme_http01_solver_runtime_class_name or None,
            ),
        )
        shims = ShimOptions(
            default_issuer_name=default_issuer_name,
            default_issuer_kind=default_issuer_kind,
            default_issuer_group=default_issuer_group,
            enable_gateway_api=enable_gateway_api,
            enable_gateway_api_listenerset=enable_gateway_api_listenerset,
        )
        serve_on_kubernetes(options, daemon, kube, shims)
        return
    if webhook_listen:
        raise CLIError("--webhook-listen: the admission webhook runs on Kubernetes: add --kubeconfig")
    serve(resolve_store_path(store), options, daemon)


def execute_again(restart: RestartToReturnMemory) -> NoReturn:
    """The daemon has stopped to return its memory: run the same command again in this process
    (same pid, same output, same environment)."""
    log.warning(str(restart))
    logging.shutdown()
    # The arguments this process was started with, with no shell in between.
    os.execv(sys.executable, sys.orig_argv)  # noqa: S606


def serve(store_path: Path, options: ControllerOptions, daemon: DaemonOptions) -> None:
    """Run the daemon in the foreground until it is signalled to stop."""
    # Imported here so the other commands start without loading every controller.
    from certpilot.controllers.all_controllers import run_daemon

    make_private_directories(store_path.parent)
    try:
        asyncio.run(run_daemon(store_path, options, daemon))
    except RestartToReturnMemory as restart:
        execute_again(restart)
    except InstanceLocked as e:
        raise CLIError(str(e)) from None


def _seconds(flag: str, value: str) -> float:
    return _duration(flag, value).total_seconds()


def serve_on_kubernetes(
    options: ControllerOptions, daemon: DaemonOptions, kube: KubernetesOptions, shims: ShimOptions
) -> None:
    """Run the daemon against a cluster in the foreground until it is signalled to stop."""
    # Imported here so the other commands start without loading lightkube and every controller.
    from certpilot.controllers.kubernetes_daemon import run_daemon_on_kubernetes
    from certpilot.store.kube_connection import KubeConfigError

    try:
        asyncio.run(run_daemon_on_kubernetes(options, daemon, kube, shims))
    except RestartToReturnMemory as restart:
        execute_again(restart)
    except (KubeConfigError, ValueError) as e:
        raise CLIError(str(e)) from None
