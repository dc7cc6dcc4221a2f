"""The Validating and Mutating webhook configurations that send cert-manager's kinds to certpilot.

Named as cert-manager names its own (`cert-manager-webhook`, webhook `webhook.cert-manager.io`) so
that replacing cert-manager replaces them, and with the same namespace opt-out label.
"""

from __future__ import annotations

import base64
from typing import Any

from certpilot.api.crd import CERT_MANAGER_GROUPS

CONFIGURATION_NAME = "cert-manager-webhook"
WEBHOOK_NAME = "webhook.cert-manager.io"
DISABLE_VALIDATION_LABEL = "cert-manager.io/disable-validation"
DEFAULT_TIMEOUT_SECONDS = 10


def webhook_configurations(
    url: str, ca_pem: bytes, timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
) -> list[dict[str, Any]]:
    """Both configurations for a webhook served at `url` (https://host:port) by a certificate
    `ca_pem` signed."""
    base = url.rstrip("/")
    return [
        _configuration("ValidatingWebhookConfiguration", f"{base}/validate", ca_pem, timeout_seconds),
        _configuration("MutatingWebhookConfiguration", f"{base}/mutate", ca_pem, timeout_seconds),
    ]


def _configuration(kind: str, url: str, ca_pem: bytes, timeout_seconds: int) -> dict[str, Any]:
    webhook: dict[str, Any] = {
        "name": WEBHOOK_NAME,
        "rules": [
            {
                "apiGroups": list(CERT_MANAGER_GROUPS),
                "apiVersions": ["v1"],
                "operations": ["CREATE", "UPDATE"],
                # "*/*" includes the status subresource, where approvals are set.
                "resources": ["*/*"],
            }
        ],
        "clientConfig": {"url": url, "caBundle": base64.b64encode(ca_pem).decode("ascii")},
        "failurePolicy": "Fail",
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        "timeoutSeconds": timeout_seconds,
        "matchPolicy": "Equivalent",
        "namespaceSelector": {
            "matchExpressions": [{"key": DISABLE_VALIDATION_LABEL, "operator": "NotIn", "values": ["true"]}]
        },
    }
    if kind == "MutatingWebhookConfiguration":
        webhook["reinvocationPolicy"] = "Never"
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": kind,
        "metadata": {
            "name": CONFIGURATION_NAME,
            "labels": {"app.kubernetes.io/name": "certpilot", "app.kubernetes.io/component": "webhook"},
        },
        "webhooks": [webhook],
    }
