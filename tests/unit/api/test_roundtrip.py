"""Every kind, with every field set, survives YAML -> model -> dict unchanged."""

from __future__ import annotations

import json

import pytest

from certpilot.api.acme import Challenge, Order
from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.core import Event, Lease, Namespace, Secret
from certpilot.api.issuer import ClusterIssuer, Issuer
from certpilot.api.loader import dump_yaml, load_manifests, parse_yaml
from certpilot.api.meta import Resource
from tests.unit.api.api_manifests import manifest_text

FIXTURES = [
    "certificate.yaml",
    "certificaterequest.yaml",
    "order.yaml",
    "challenge.yaml",
    "issuers.yaml",
    "clusterissuer.yaml",
    "core.yaml",
]


def _documents(name: str) -> list[dict[str, object]]:
    return [parse_yaml(part) for part in manifest_text(name).split("\n---\n")]


@pytest.mark.parametrize("name", FIXTURES)
def test_every_document_round_trips_exactly(name: str) -> None:
    documents = _documents(name)
    resources = load_manifests(manifest_text(name), name)
    assert len(resources) == len(documents)
    for document, resource in zip(documents, resources, strict=True):
        assert resource.to_dict() == document


@pytest.mark.parametrize("name", FIXTURES)
def test_yaml_and_json_reserialisation_is_stable(name: str) -> None:
    for resource in load_manifests(manifest_text(name), name):
        again = load_manifests(dump_yaml(resource.to_dict()), "again.yaml")[0]
        assert again == resource
        from_json = load_manifests(json.dumps(resource.to_dict()), "again.json")[0]
        assert from_json == resource


def test_fixtures_cover_every_kind_and_issuer_type() -> None:
    kinds: set[type[Resource]] = set()
    issuer_types: set[str] = set()
    vault_auths: set[str] = set()
    dns_providers: set[str] = set()
    http01_kinds: set[str] = set()
    for name in FIXTURES:
        for resource in load_manifests(manifest_text(name), name):
            kinds.add(type(resource))
            if isinstance(resource, Issuer | ClusterIssuer):
                issuer_types.update(resource.spec.types())
                if resource.spec.vault is not None:
                    vault_auths.update(resource.spec.vault.auth.methods())
                if resource.spec.venafi is not None:
                    issuer_types.update(
                        f"venafi.{v}" for v in ("tpp", "cloud") if getattr(resource.spec.venafi, v)
                    )
                for solver in (resource.spec.acme.solvers or []) if resource.spec.acme else []:
                    if solver.dns01 is not None:
                        dns_providers.update(solver.dns01.providers())
                    if solver.http01 is not None:
                        http01_kinds.update(k for k, v in solver.http01.to_dict().items() if v is not None)
    assert kinds == {
        Certificate,
        CertificateRequest,
        Order,
        Challenge,
        Issuer,
        ClusterIssuer,
        Secret,
        Event,
        Lease,
        Namespace,
    }
    assert issuer_types == {"acme", "ca", "selfSigned", "vault", "venafi", "venafi.tpp", "venafi.cloud"}
    assert vault_auths == {"tokenSecretRef", "appRole", "clientCertificate", "kubernetes"}
    assert dns_providers == {
        "acmeDNS",
        "akamai",
        "azureDNS",
        "cloudDNS",
        "cloudflare",
        "digitalocean",
        "rfc2136",
        "route53",
        "webhook",
    }
    assert http01_kinds == {"ingress", "gatewayHTTPRoute"}


def test_certificate_fixture_sets_every_spec_field() -> None:
    cert = load_manifests(manifest_text("certificate.yaml"), "certificate.yaml")[0]
    assert isinstance(cert, Certificate)
    unset = [name for name in type(cert.spec).model_fields if getattr(cert.spec, name) is None]
    # These exclude literalSubject / renewBefore, so test_exclusive_fields_round_trip covers them.
    assert set(unset) == {"subject", "common_name", "renew_before_percentage"}


def test_exclusive_fields_round_trip() -> None:
    document = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "subject", "namespace": "apps"},
        "spec": {
            "secretName": "subject-tls",
            "issuerRef": {"name": "ca"},
            "commonName": "web.example.com",
            "renewBeforePercentage": 25,
            "subject": {
                "organizations": ["Example"],
                "countries": ["GB"],
                "organizationalUnits": ["Platform"],
                "localities": ["London"],
                "provinces": ["Greater London"],
                "streetAddresses": ["1 Example Street"],
                "postalCodes": ["EC1A 1AA"],
                "serialNumber": "1234",
            },
        },
    }
    assert Certificate.model_validate(document).to_dict() == document


def test_python_names_and_aliases() -> None:
    cert = load_manifests(manifest_text("certificate.yaml"), "certificate.yaml")[0]
    assert isinstance(cert, Certificate)
    assert cert.spec.is_ca is True
    assert cert.spec.other_names is not None
    assert cert.spec.other_names[0].utf8_value == "upn@example.com"
    assert cert.to_dict()["spec"]["isCA"] is True
    assert Certificate.SHORT_NAMES == ("cert", "certs")
    assert CertificateRequest.SHORT_NAMES == ("cr", "crs")
    assert ClusterIssuer.NAMESPACED is False
    assert Secret.HAS_STATUS is False
