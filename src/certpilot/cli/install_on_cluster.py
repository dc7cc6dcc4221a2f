"""What `certpilot install` does on the cluster, through lightkube.

Everything is server-side applied by field manager `certpilot` with conflicts forced, so on a
cluster that already has cert-manager's CRDs certpilot takes ownership of the fields it declares
and keeps every stored object. The CRDs are generated from the installed models, so a wheel can
install exactly the API it serves.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx2
import typer
from lightkube import ApiError, Client, KubeConfig
from lightkube.codecs import from_dict
from lightkube.core.exceptions import ConfigError
from lightkube.resources.admissionregistration_v1 import (
    MutatingWebhookConfiguration,
    ValidatingWebhookConfiguration,
)
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from lightkube.resources.core_v1 import Secret

from certpilot.api.core import Secret as SecretModel
from certpilot.api.crd import crd_for, crd_kinds
from certpilot.cli.errors import CLIError
from certpilot.server.serving_certificates import ca_from_secret, ca_secret, new_ca
from certpilot.server.webhook import utc_now
from certpilot.server.webhook_configuration import webhook_configurations

FIELD_MANAGER = "certpilot"
ESTABLISHED_TIMEOUT_SECONDS = 60.0


def install_on_cluster(
    kubeconfig: Path,
    context: str | None,
    webhook_url: str | None,
    ca_namespace: str,
    ca_name: str,
    webhook_timeout: int,
) -> None:
    """Apply the CRDs and wait until they are Established; with webhook_url, also the webhook
    configurations, trusting the CA kept in Secret ca_namespace/ca_name."""
    client = _client(kubeconfig, context)
    try:
        for crd in (crd_for(kind) for kind in crd_kinds()):
            _apply(client, crd)
            typer.echo(
                f"customresourcedefinition.apiextensions.k8s.io/{crd['metadata']['name']} serverside-applied"
            )
        for kind in crd_kinds():
            _wait_established(client, f"{kind.PLURAL}.{kind.API_VERSION.rpartition('/')[0]}")
        if webhook_url is None:
            return
        ca_pem = _ensure_ca_secret(client, ca_namespace, ca_name)
        for configuration in webhook_configurations(webhook_url, ca_pem, webhook_timeout):
            _take_over_webhook_configuration(client, configuration)
            _apply(client, configuration)
            group = "admissionregistration.k8s.io"
            name = configuration["metadata"]["name"]
            typer.echo(f"{configuration['kind'].lower()}.{group}/{name} serverside-applied")
    except ApiError as error:
        raise CLIError(f"the apiserver refused: {error.status.message}") from None
    except httpx2.HTTPError as error:
        raise CLIError(f"cannot reach the apiserver: {error}") from None


def _client(kubeconfig: Path, context: str | None) -> Client:
    try:
        config = KubeConfig.from_file(kubeconfig).get(context_name=context)
    except (ConfigError, OSError) as error:
        raise CLIError(f"--kubeconfig {kubeconfig}: {error}") from None
    return Client(config=config, field_manager=FIELD_MANAGER)


def _apply(client: Client, manifest: dict[str, Any]) -> None:
    client.apply(from_dict(manifest), field_manager=FIELD_MANAGER, force=True)


def _wait_established(client: Client, name: str) -> None:
    deadline = time.monotonic() + ESTABLISHED_TIMEOUT_SECONDS
    while True:
        crd = client.get(CustomResourceDefinition, name)
        conditions = crd.status.conditions if crd.status is not None else None
        if any(c.type == "Established" and c.status == "True" for c in conditions or []):
            return
        if time.monotonic() > deadline:
            raise CLIError(f"CRD {name} is not Established after {ESTABLISHED_TIMEOUT_SECONDS:.0f} s")
        time.sleep(0.2)


def _ensure_ca_secret(client: Client, namespace: str, name: str) -> bytes:
    """The webhook CA's certificate PEM, from its Secret; a new CA when the Secret is missing (the
    webhook reads the same Secret, so both agree whichever starts first)."""
    _apply(client, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    try:
        existing = client.get(Secret, name, namespace=namespace)
        return ca_from_secret(SecretModel.model_validate(existing.to_dict())).certificate_pem
    except ApiError as error:
        if error.status.code != 404:
            raise
    except ValueError as error:
        raise CLIError(str(error)) from None
    ca = new_ca(utc_now())
    try:
        client.create(from_dict(ca_secret(namespace, name, ca).to_dict()))
    except ApiError as error:
        if error.status.code != 409:
            raise
        return _ensure_ca_secret(client, namespace, name)
    return ca.certificate_pem


def _take_over_webhook_configuration(client: Client, configuration: dict[str, Any]) -> None:
    """Delete a same-named configuration that another manager wrote (cert-manager's points at its
    Service: a forced apply would keep that clientConfig.service beside our url, which is invalid)."""
    resource: type[ValidatingWebhookConfiguration] | type[MutatingWebhookConfiguration] = (
        ValidatingWebhookConfiguration
        if configuration["kind"] == "ValidatingWebhookConfiguration"
        else MutatingWebhookConfiguration
    )
    name = configuration["metadata"]["name"]
    try:
        existing = client.get(resource, name)
    except ApiError as error:
        if error.status.code == 404:
            return
        raise
    metadata = existing.metadata
    managers = {entry.manager for entry in (metadata.managedFields or [])} if metadata else set()
    if managers - {FIELD_MANAGER}:
        client.delete(resource, name)
