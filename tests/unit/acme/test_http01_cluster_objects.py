"""The HTTP-01 solver objects certpilot creates on a cluster, field by field against what cert-manager's
pkg/issuer/acme/http (pod.go, service.go, ingress.go, httproute.go) sets for the same Challenge."""

from __future__ import annotations

import zlib
from typing import Any

import pytest

from certpilot.acme.solvers.http01_cluster.errors import Http01SolverMisconfigured
from certpilot.acme.solvers.http01_cluster.httproute import http_route_is_current, solver_http_route
from certpilot.acme.solvers.http01_cluster.identity import is_controlled_by, solver_labels, solver_selector
from certpilot.acme.solvers.http01_cluster.ingress import (
    solver_ingress,
    with_challenge_path,
    without_challenge_path,
)
from certpilot.acme.solvers.http01_cluster.pod import solver_pod
from certpilot.acme.solvers.http01_cluster.service import solver_service
from certpilot.acme.solvers.http01_cluster.settings import SolverSettings
from certpilot.api.acme import Challenge
from certpilot.api.httproute import HTTPRoute
from certpilot.api.ingress import Ingress

TOKEN = "tok-123"
KEY = "tok-123.thumbprint"
DOMAIN = "www.example.com"
UID = "9d1c4f40-challenge-uid"
SETTINGS = SolverSettings(image="img")


def challenge(http01: dict[str, Any], dns_name: str = DOMAIN) -> Challenge:
    return Challenge.model_validate(
        {
            "metadata": {"name": "site-1-1-2", "namespace": "team", "uid": UID},
            "spec": {
                "url": "https://ca.test/chal/1",
                "authorizationURL": "https://ca.test/authz/1",
                "dnsName": dns_name,
                "type": "HTTP-01",
                "token": TOKEN,
                "key": KEY,
                "solver": {"http01": http01},
                "issuerRef": {"name": "acme"},
            },
        }
    )


def labels() -> dict[str, str]:
    return {
        "acme.cert-manager.io/http-domain": str(zlib.adler32(DOMAIN.encode())),
        "acme.cert-manager.io/http-token": str(zlib.adler32(TOKEN.encode())),
        "acme.cert-manager.io/http01-solver": "true",
    }


OWNER = {
    "apiVersion": "acme.cert-manager.io/v1",
    "kind": "Challenge",
    "name": "site-1-1-2",
    "uid": UID,
    "controller": True,
    "blockOwnerDeletion": True,
}


def test_labels_are_cert_managers_adler32_hashes_and_select_the_solver() -> None:
    ch = challenge({"ingress": {}})
    assert solver_labels(ch) == labels()
    assert solver_selector(ch).split(",") == sorted(f"{k}={v}" for k, v in labels().items())


def test_the_default_pod_is_cert_managers() -> None:
    pod = solver_pod(challenge({"ingress": {}}), SolverSettings()).to_dict()
    assert pod == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": "cm-acme-http-solver-",
            "namespace": "team",
            "labels": labels(),
            "annotations": {
                "sidecar.istio.io/inject": "false",
                "cluster-autoscaler.kubernetes.io/safe-to-evict": "true",
            },
            "ownerReferences": [OWNER],
        },
        "spec": {
            "automountServiceAccountToken": False,
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "restartPolicy": "OnFailure",
            "enableServiceLinks": False,
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "acmesolver",
                    "image": "certpilot:0.1.0",
                    "imagePullPolicy": "IfNotPresent",
                    "args": [
                        "acmesolver",
                        "--listen-port=8089",
                        f"--domain={DOMAIN}",
                        f"--token={TOKEN}",
                        f"--key={KEY}",
                    ],
                    "resources": {
                        "requests": {"cpu": "10m", "memory": "64Mi"},
                        "limits": {"cpu": "100m", "memory": "64Mi"},
                    },
                    "ports": [{"name": "http", "containerPort": 8089}],
                    "securityContext": {
                        "readOnlyRootFilesystem": True,
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                    },
                }
            ],
        },
    }


POD_TEMPLATE: dict[str, Any] = {
    "metadata": {"labels": {"team": "web"}, "annotations": {"sidecar.istio.io/inject": "true", "a": "b"}},
    "spec": {
        "nodeSelector": {"disk": "ssd"},
        "tolerations": [{"key": "k", "operator": "Exists"}],
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "z", "operator": "In", "values": ["a"]}]}
                    ]
                }
            }
        },
        "priorityClassName": "low",
        "serviceAccountName": "solver",
        "imagePullSecrets": [{"name": "registry"}],
        "securityContext": {"runAsUser": 1000},
        "resources": {"requests": {"cpu": "50m"}, "limits": {"memory": "128Mi"}},
    },
}


@pytest.mark.parametrize(
    "http01",
    [{"ingress": {"podTemplate": POD_TEMPLATE}}, {"gatewayHTTPRoute": {"podTemplate": POD_TEMPLATE}}],
)
def test_a_pod_template_merges_as_cert_manager_merges_it(http01: dict[str, Any]) -> None:
    pod = solver_pod(challenge(http01), SETTINGS)
    assert pod.metadata.labels == {**labels(), "team": "web"}
    assert pod.metadata.annotations == {
        "sidecar.istio.io/inject": "true",
        "cluster-autoscaler.kubernetes.io/safe-to-evict": "true",
        "a": "b",
    }
    spec = pod.spec
    assert spec is not None
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux", "disk": "ssd"}
    assert spec["tolerations"] == [{"key": "k", "operator": "Exists"}]
    assert spec["affinity"] == POD_TEMPLATE["spec"]["affinity"]
    assert spec["priorityClassName"] == "low" and spec["serviceAccountName"] == "solver"
    assert spec["imagePullSecrets"] == [{"name": "registry"}]
    # A template's securityContext replaces the default one whole, as cert-manager's does.
    assert spec["securityContext"] == {"runAsUser": 1000}
    assert spec["containers"][0]["resources"] == {
        "requests": {"cpu": "50m", "memory": "64Mi"},
        "limits": {"cpu": "100m", "memory": "128Mi"},
    }


def test_a_template_does_not_change_the_builder_defaults_for_the_next_pod() -> None:
    solver_pod(challenge({"ingress": {"podTemplate": POD_TEMPLATE}}), SETTINGS)
    spec = solver_pod(challenge({"ingress": {}}), SETTINGS).spec
    assert spec is not None and spec["containers"][0]["resources"]["requests"] == {
        "cpu": "10m",
        "memory": "64Mi",
    }


@pytest.mark.parametrize(
    ("http01", "service_type"),
    [
        ({"ingress": {}}, "NodePort"),
        ({"ingress": {"serviceType": "ClusterIP"}}, "ClusterIP"),
        ({"gatewayHTTPRoute": {"serviceType": "ClusterIP"}}, "ClusterIP"),
    ],
)
def test_the_service_is_cert_managers(http01: dict[str, Any], service_type: str) -> None:
    assert solver_service(challenge(http01), SETTINGS).to_dict() == {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "generateName": "cm-acme-http-solver-",
            "namespace": "team",
            "labels": labels(),
            "annotations": {"auth.istio.io/8089": "NONE"},
            "ownerReferences": [OWNER],
        },
        "spec": {
            "type": service_type,
            "ports": [{"name": "http", "port": 8089, "targetPort": 8089}],
            "selector": labels(),
        },
    }


def test_a_solver_without_ingress_or_gateway_is_refused_naming_both() -> None:
    with pytest.raises(
        Http01SolverMisconfigured, match=r"neither http01\.ingress nor http01\.gatewayHTTPRoute"
    ):
        solver_service(challenge({}), SETTINGS)


def solver_path(service: str = "cm-acme-http-solver-abcde") -> dict[str, Any]:
    return {
        "path": f"/.well-known/acme-challenge/{TOKEN}",
        "pathType": "Exact",
        "backend": {"service": {"name": service, "port": {"number": 8089}}},
    }


def test_the_ingress_is_cert_managers() -> None:
    ingress = solver_ingress(
        challenge({"ingress": {"ingressClassName": "nginx"}}), "cm-acme-http-solver-abcde", SETTINGS
    )
    assert ingress.to_dict() == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "generateName": "cm-acme-http-solver-",
            "namespace": "team",
            "labels": labels(),
            "annotations": {"nginx.ingress.kubernetes.io/whitelist-source-range": "0.0.0.0/0,::/0"},
            "ownerReferences": [OWNER],
        },
        "spec": {
            "ingressClassName": "nginx",
            "rules": [{"host": DOMAIN, "http": {"paths": [solver_path()]}}],
        },
    }


def test_class_is_the_legacy_annotation_and_cannot_go_with_ingress_class_name() -> None:
    ingress = solver_ingress(challenge({"ingress": {"class": "traefik"}}), "svc", SETTINGS)
    assert ingress.metadata.annotations is not None
    assert ingress.metadata.annotations["kubernetes.io/ingress.class"] == "traefik"
    assert ingress.spec is not None and ingress.spec.ingress_class_name is None
    with pytest.raises(Http01SolverMisconfigured, match="both class and ingressClassName"):
        solver_ingress(challenge({"ingress": {"class": "a", "ingressClassName": "b"}}), "svc", SETTINGS)


def test_an_ip_address_identifier_gets_a_rule_for_every_host() -> None:
    ingress = solver_ingress(challenge({"ingress": {}}, dns_name="192.0.2.7"), "svc", SETTINGS)
    assert ingress.spec is not None and ingress.spec.rules is not None
    assert ingress.spec.rules[0].host is None


def test_an_ingress_template_adds_metadata_and_may_replace_the_whitelist() -> None:
    template = {
        "metadata": {
            "labels": {"team": "web"},
            "annotations": {"haproxy.org/whitelist-source-range": "10.0.0.0/8", "x": "y"},
        }
    }
    ingress = solver_ingress(challenge({"ingress": {"ingressTemplate": template}}), "svc", SETTINGS)
    assert ingress.metadata.labels == {**labels(), "team": "web"}
    assert ingress.metadata.annotations == {"haproxy.org/whitelist-source-range": "10.0.0.0/8", "x": "y"}


USER_RULE = {
    "host": DOMAIN,
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
OTHER_RULE = {"host": "other.example.com", "http": {"paths": [solver_path("elsewhere")]}}


def user_ingress(rules: list[dict[str, Any]]) -> Ingress:
    return Ingress.model_validate(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "web", "namespace": "team", "resourceVersion": "7"},
            "spec": {"ingressClassName": "nginx", "rules": rules},
        }
    )


def rules_of(ingress: Ingress | None) -> list[dict[str, Any]]:
    assert ingress is not None and ingress.spec is not None
    return [rule.to_dict() for rule in ingress.spec.rules or ()]


def test_a_named_ingress_gets_the_path_first_in_the_hosts_rule_and_loses_it_after() -> None:
    ch = challenge({"ingress": {"name": "web"}})
    original = user_ingress([OTHER_RULE, USER_RULE])
    edited = with_challenge_path(original, ch, "cm-acme-http-solver-abcde")
    assert rules_of(edited) == [
        OTHER_RULE,
        {"host": DOMAIN, "http": {"paths": [solver_path(), *USER_RULE["http"]["paths"]]}},
    ]
    assert rules_of(original) == [OTHER_RULE, USER_RULE], "the shared object is not changed in place"
    assert edited is not None and with_challenge_path(edited, ch, "cm-acme-http-solver-abcde") is None
    assert rules_of(without_challenge_path(edited, ch)) == [OTHER_RULE, USER_RULE]
    assert without_challenge_path(original, ch) is None, "nothing to remove: no write"


def test_a_named_ingress_without_a_rule_for_the_host_gets_one_and_it_goes_after() -> None:
    ch = challenge({"ingress": {"name": "web"}})
    edited = with_challenge_path(user_ingress([OTHER_RULE]), ch, "cm-acme-http-solver-abcde")
    assert rules_of(edited) == [OTHER_RULE, {"host": DOMAIN, "http": {"paths": [solver_path()]}}]
    assert edited is not None and rules_of(without_challenge_path(edited, ch)) == [OTHER_RULE]


def test_a_stale_path_for_the_token_is_pointed_at_the_current_service() -> None:
    ch = challenge({"ingress": {"name": "web"}})
    stale = user_ingress([{"host": DOMAIN, "http": {"paths": [solver_path("old-service")]}}])
    assert rules_of(with_challenge_path(stale, ch, "new-service")) == [
        {"host": DOMAIN, "http": {"paths": [solver_path("new-service")]}}
    ]


GATEWAY_SOLVER = {
    "labels": {"gateway": "public"},
    "parentRefs": [{"name": "gw", "namespace": "infra", "sectionName": "http"}],
}


def test_the_http_route_is_cert_managers() -> None:
    route = solver_http_route(challenge({"gatewayHTTPRoute": GATEWAY_SOLVER}), "svc", SETTINGS)
    assert route.to_dict() == {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {
            "generateName": "cm-acme-http-solver-",
            "namespace": "team",
            "labels": {**labels(), "gateway": "public"},
            "ownerReferences": [OWNER],
        },
        "spec": {
            "parentRefs": [{"name": "gw", "namespace": "infra", "sectionName": "http"}],
            "hostnames": [DOMAIN],
            "rules": [
                {
                    "matches": [{"path": {"type": "Exact", "value": f"/.well-known/acme-challenge/{TOKEN}"}}],
                    "backendRefs": [
                        {
                            "group": "",
                            "kind": "Service",
                            "name": "svc",
                            "namespace": "team",
                            "port": 8089,
                            "weight": 1,
                        }
                    ],
                }
            ],
        },
    }


def test_an_http_route_with_server_defaults_is_current_and_a_changed_one_is_not() -> None:
    ch = challenge({"gatewayHTTPRoute": GATEWAY_SOLVER})
    stored = solver_http_route(ch, "svc", SETTINGS).to_dict()
    stored["spec"]["parentRefs"][0] |= {"group": "gateway.networking.k8s.io", "kind": "Gateway"}
    stored["spec"]["rules"][0]["timeouts"] = {}
    assert http_route_is_current(HTTPRoute.model_validate(stored), ch, "svc", SETTINGS)
    assert not http_route_is_current(HTTPRoute.model_validate(stored), ch, "another-svc", SETTINGS)
    stored["metadata"]["labels"] = labels()
    assert not http_route_is_current(HTTPRoute.model_validate(stored), ch, "svc", SETTINGS)


def test_an_ip_address_identifier_gets_no_http_route_hostname() -> None:
    route = solver_http_route(
        challenge({"gatewayHTTPRoute": GATEWAY_SOLVER}, dns_name="2001:db8::1"), "svc", SETTINGS
    )
    assert route.spec is not None and "hostnames" not in route.spec


def test_only_objects_the_challenge_controls_are_its_own() -> None:
    ch = challenge({"ingress": {}})
    ours = solver_service(ch, SETTINGS)
    theirs = solver_service(ch, SETTINGS)
    theirs.metadata.owner_references = [theirs.metadata.owner_references[0].model_copy(update={"uid": "x"})]  # type: ignore[index]
    assert is_controlled_by(ours, ch) and not is_controlled_by(theirs, ch)


def test_the_solver_flags_set_image_resources_user_runtime_class_and_extra_labels() -> None:
    settings = SolverSettings(
        image="registry.test/certpilot:9",
        resource_request_cpu="1m",
        resource_request_memory="1Mi",
        resource_limits_cpu="2m",
        resource_limits_memory="2Mi",
        run_as_non_root=False,
        extra_labels={"team": "web", "acme.cert-manager.io/http01-solver": "false"},
        runtime_class_name="gvisor",
    )
    ch = challenge({"ingress": {}})
    pod = solver_pod(ch, settings)
    assert pod.spec is not None
    container = pod.spec["containers"][0]
    assert container["image"] == "registry.test/certpilot:9"
    assert container["resources"] == {
        "requests": {"cpu": "1m", "memory": "1Mi"},
        "limits": {"cpu": "2m", "memory": "2Mi"},
    }
    assert pod.spec["securityContext"]["runAsNonRoot"] is False
    assert pod.spec["runtimeClassName"] == "gvisor"
    # The identity labels cannot be overridden, as cert-manager filters them out of the flag.
    with_team = {**labels(), "team": "web"}
    assert pod.metadata.labels == with_team
    service = solver_service(ch, settings)
    assert service.metadata.labels == with_team and service.spec is not None
    assert service.spec["selector"] == labels()
    assert solver_ingress(ch, "svc", settings).metadata.labels == with_team
    route = solver_http_route(challenge({"gatewayHTTPRoute": GATEWAY_SOLVER}), "svc", settings)
    assert route.metadata.labels == {**with_team, "gateway": "public"}
