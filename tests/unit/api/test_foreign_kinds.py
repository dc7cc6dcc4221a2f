"""Ingress, Gateway and ListenerSet: kinds of other projects that the shims read. Any real object
decodes, whatever fields its version adds, and is written back unchanged; certpilot's own
standalone paths (the default caches, `apply`) leave them out."""

from __future__ import annotations

from typing import Any

import pytest

from certpilot.api.gateway import Gateway, ListenerSet
from certpilot.api.ingress import Ingress
from certpilot.api.loader import UnknownKindInManifest, load_document
from certpilot.api.meta import Resource
from certpilot.api.registry import kind_named, model_for
from certpilot.runtime.manager import default_cache_kinds

# As `kubectl get ingress -o json` prints one, with fields the model does not name.
REAL_INGRESS: dict[str, Any] = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "Ingress",
    "metadata": {
        "name": "web",
        "namespace": "team",
        "uid": "8c0e2f0e-1b1a-4c43-9d4e-2d8c1d0f5a11",
        "resourceVersion": "1234",
        "generation": 2,
        "creationTimestamp": "2026-12-04T05:00:00Z",
        "annotations": {"cert-manager.io/issuer": "ca"},
        "managedFields": [{"manager": "kubectl", "operation": "Apply", "fieldsV1": {"f:spec": {}}}],
    },
    "spec": {
        "ingressClassName": "nginx",
        "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}},
        "rules": [{"host": "a.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix"}]}}],
        "tls": [{"hosts": ["a.example.com"], "secretName": "a-tls"}],
    },
    "status": {
        "loadBalancer": {"ingress": [{"ip": "192.0.2.1", "ports": [{"port": 443, "protocol": "TCP"}]}]}
    },
}

REAL_GATEWAY: dict[str, Any] = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "Gateway",
    "metadata": {"name": "gw", "namespace": "team", "uid": "u1"},
    "spec": {
        "gatewayClassName": "example",
        "infrastructure": {"labels": {"a": "b"}},
        "allowedListeners": {"namespaces": {"from": "Same"}},
        "listeners": [
            {
                "name": "https",
                "hostname": "a.example.com",
                "port": 443,
                "protocol": "HTTPS",
                "allowedRoutes": {"namespaces": {"from": "Same"}},
                "tls": {
                    "mode": "Terminate",
                    "certificateRefs": [{"group": "", "kind": "Secret", "name": "a-tls"}],
                    "options": {"example.com/cipher": "x"},
                },
            }
        ],
    },
    "status": {
        "conditions": [{"type": "Accepted", "status": "Unknown", "reason": "Pending"}],
        "listeners": [],
    },
}


@pytest.mark.parametrize(("kind", "body"), [(Ingress, REAL_INGRESS), (Gateway, REAL_GATEWAY)])
def test_a_real_object_decodes_and_is_written_back_unchanged(
    kind: type[Resource], body: dict[str, Any]
) -> None:
    assert kind.model_validate(body).to_dict() == body


def test_the_fields_the_shims_read_are_typed() -> None:
    ingress = Ingress.model_validate(REAL_INGRESS)
    assert ingress.spec is not None and ingress.spec.tls is not None
    assert ingress.spec.tls[0].secret_name == "a-tls" and ingress.spec.tls[0].hosts == ["a.example.com"]
    gateway = Gateway.model_validate(REAL_GATEWAY)
    assert gateway.spec is not None and gateway.spec.listeners is not None
    tls = gateway.spec.listeners[0].tls
    assert tls is not None and tls.certificate_refs is not None and tls.certificate_refs[0].name == "a-tls"


def test_they_are_registered_with_kubectl_names_and_a_status() -> None:
    assert model_for("networking.k8s.io/v1", "Ingress") is Ingress and kind_named("ing") is Ingress
    assert model_for("gateway.networking.k8s.io/v1", "Gateway") is Gateway and kind_named("gtw") is Gateway
    assert kind_named("listenersets.gateway.networking.k8s.io") is ListenerSet
    assert Ingress.HAS_STATUS and Gateway.HAS_STATUS and ListenerSet.HAS_STATUS


def test_they_are_not_cached_by_default_nor_taken_by_apply() -> None:
    assert not {Ingress, Gateway, ListenerSet} & set(default_cache_kinds())
    with pytest.raises(UnknownKindInManifest, match="create it on a Kubernetes cluster with kubectl"):
        load_document(REAL_INGRESS, "<stdin>", 1)
