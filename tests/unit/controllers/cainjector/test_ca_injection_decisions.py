"""The CA injector's pure decisions: which source a target names, why a source yields nothing
(cert-manager's rules), and how a CA is merged into every caBundle of a target."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

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
    encode_bundle,
)
from certpilot.api.certificate import Certificate
from certpilot.api.core import Secret
from certpilot.controllers.cainjector.bundle import merged_bundle, with_injected_ca
from certpilot.controllers.cainjector.sources import (
    CASources,
    InjectionSource,
    SourceKind,
    desired_ca_bundle,
    injection_source,
    why_nothing_to_inject,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def ca_pem(name: str, not_after: datetime = NOW + timedelta(days=30)) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(Encoding.PEM)


OLD_CA, NEW_CA, OTHER_CA = ca_pem("old"), ca_pem("new"), ca_pem("other")


def webhook_config(
    annotations: dict[str, str], bundles: list[bytes] | None = None
) -> ValidatingWebhookConfiguration:
    """Shaped as the API server returns one: defaulted fields certpilot's model does not name."""
    bundles = bundles if bundles is not None else [b"", b""]
    return ValidatingWebhookConfiguration.model_validate(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": "hooks", "resourceVersion": "7", "annotations": annotations},
            "webhooks": [
                {
                    "name": f"hook{i}.example.com",
                    "clientConfig": {
                        "service": {"namespace": "ns", "name": "svc", "path": "/v", "port": 443},
                        **({"caBundle": encode_bundle(b)} if b else {}),
                    },
                    "rules": [
                        {
                            "apiGroups": [""],
                            "apiVersions": ["v1"],
                            "operations": ["CREATE"],
                            "resources": ["pods"],
                            "scope": "*",
                        }
                    ],
                    "failurePolicy": "Fail",
                    "matchPolicy": "Equivalent",
                    "namespaceSelector": {},
                    "objectSelector": {},
                    "sideEffects": "None",
                    "timeoutSeconds": 10,
                    "admissionReviewVersions": ["v1"],
                }
                for i, b in enumerate(bundles)
            ],
        }
    )


def certificate(name: str = "ca", secret_name: str = "ca-tls") -> Certificate:
    return Certificate.model_validate(
        {
            "metadata": {"name": name, "namespace": "ns"},
            "spec": {"secretName": secret_name, "issuerRef": {"name": "self"}, "commonName": "ca"},
        }
    )


def secret(annotations: dict[str, str], ca: bytes | None = OLD_CA, name: str = "ca-tls") -> Secret:
    data = {"ca.crt": base64.b64encode(ca).decode()} if ca is not None else {}
    return Secret.model_validate(
        {"metadata": {"name": name, "namespace": "ns", "annotations": annotations}, "data": data}
    )


def test_the_secret_annotation_wins_over_the_certificate_and_the_api_server() -> None:
    target = webhook_config(
        {INJECT_CA_FROM_SECRET: "ns/s", INJECT_CA_FROM: "ns/c", INJECT_APISERVER_CA: "true"}
    )
    assert injection_source(target) == InjectionSource(SourceKind.SECRET, "ns", "s")
    target = webhook_config({INJECT_CA_FROM: "ns/c", INJECT_APISERVER_CA: "true"})
    assert injection_source(target) == InjectionSource(SourceKind.CERTIFICATE, "ns", "c")


def test_only_true_asks_for_the_api_server_ca() -> None:
    assert injection_source(webhook_config({INJECT_APISERVER_CA: "yes"})) is None
    assert injection_source(webhook_config({INJECT_APISERVER_CA: "true"})) == InjectionSource(
        SourceKind.APISERVER
    )


def test_a_certificate_source_gives_the_ca_of_the_secret_it_writes() -> None:
    target = webhook_config({INJECT_CA_FROM: "ns/ca"})
    sources = CASources(certificate(), secret({"cert-manager.io/certificate-name": "ca"}))
    assert desired_ca_bundle(target, sources) == OLD_CA


@pytest.mark.parametrize(
    ("annotations", "sources", "reason"),
    [
        ({INJECT_CA_FROM: "ca"}, CASources(), 'must be "namespace/name"'),
        ({INJECT_CA_FROM: "other/ca"}, CASources(scope_namespace="ns"), "outside namespace ns"),
        ({INJECT_CA_FROM: "ns/ca"}, CASources(), "Certificate ns/ca not found"),
        ({INJECT_CA_FROM: "ns/ca"}, CASources(certificate()), "'ca-tls' of Certificate ns/ca does not exist"),
        (
            {INJECT_CA_FROM: "ns/ca"},
            CASources(certificate(), secret({"cert-manager.io/certificate-name": "impostor"})),
            "is not written by Certificate ns/ca",
        ),
        (
            {INJECT_CA_FROM: "ns/ca"},
            CASources(certificate(), secret({"cert-manager.io/certificate-name": "ca"}, ca=None)),
            "has no ca.crt",
        ),
        ({INJECT_CA_FROM_SECRET: "ns/ca-tls"}, CASources(), "Secret ns/ca-tls not found"),
        (
            {INJECT_CA_FROM_SECRET: "ns/ca-tls"},
            CASources(secret=secret({})),
            "does not allow direct injection",
        ),
        (
            {INJECT_CA_FROM_SECRET: "ns/ca-tls"},
            CASources(secret=secret({ALLOW_DIRECT_INJECTION: "false"})),
            "does not allow direct injection",
        ),
        ({INJECT_APISERVER_CA: "true"}, CASources(), "names no CA"),
    ],
)
def test_sources_that_yield_nothing_say_why(
    annotations: dict[str, str], sources: CASources, reason: str
) -> None:
    target = webhook_config(annotations)
    source = injection_source(target)
    assert source is not None
    found = why_nothing_to_inject(source, sources)
    assert found is not None and reason in found
    assert desired_ca_bundle(target, sources) is None


def test_a_secret_that_allows_direct_injection_is_injected_and_the_api_server_ca_too() -> None:
    direct = webhook_config({INJECT_CA_FROM_SECRET: "ns/ca-tls"})
    assert desired_ca_bundle(direct, CASources(secret=secret({ALLOW_DIRECT_INJECTION: "true"}))) == OLD_CA
    apiserver = webhook_config({INJECT_APISERVER_CA: "true"})
    assert desired_ca_bundle(apiserver, CASources(apiserver_ca=OTHER_CA)) == OTHER_CA


def test_merging_keeps_current_certificates_adds_the_new_once_and_drops_the_expired() -> None:
    expired = ca_pem("expired", not_after=NOW - timedelta(seconds=1))
    assert merged_bundle(b"", OLD_CA, NOW) == OLD_CA
    assert merged_bundle(OLD_CA, NEW_CA, NOW) == OLD_CA + NEW_CA
    assert merged_bundle(OLD_CA + NEW_CA, NEW_CA, NOW) == OLD_CA + NEW_CA
    assert merged_bundle(expired + OLD_CA, NEW_CA, NOW) == OLD_CA + NEW_CA


def test_an_unparsable_bundle_or_ca_is_replaced_by_the_ca_as_given() -> None:
    assert merged_bundle(b"garbage", NEW_CA, NOW) == NEW_CA
    assert merged_bundle(OLD_CA, b"not pem", NOW) == b"not pem"


def test_every_webhook_gets_the_ca_on_a_copy_and_an_unchanged_target_is_not_written() -> None:
    target = webhook_config({INJECT_CA_FROM: "ns/ca"}, bundles=[b"", OLD_CA])
    before = target.model_dump()
    updated = with_injected_ca(target, NEW_CA, NOW)
    assert isinstance(updated, ValidatingWebhookConfiguration)
    assert [decode_bundle(w.client_config.ca_bundle) for w in updated.webhooks or []] == [
        NEW_CA,
        OLD_CA + NEW_CA,
    ]
    assert target.model_dump() == before, "the cached object was changed in place"
    assert with_injected_ca(updated, NEW_CA, NOW) is None


def test_the_write_keeps_every_field_the_model_does_not_name() -> None:
    target = webhook_config({INJECT_CA_FROM: "ns/ca"})
    raw = target.to_dict()
    updated = with_injected_ca(target, OLD_CA, NOW)
    assert updated is not None
    written = updated.to_dict()
    for hook in written["webhooks"]:
        hook["clientConfig"].pop("caBundle")
    assert written == raw
    assert raw["webhooks"][0]["matchPolicy"] == "Equivalent"


def crd(conversion: dict[str, Any] | None) -> CustomResourceDefinition:
    return CustomResourceDefinition.model_validate(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "names": {"plural": "widgets", "kind": "Widget"},
                "scope": "Namespaced",
                "versions": [{"name": "v1", "served": True, "storage": True}],
                **({"conversion": conversion} if conversion else {}),
            },
            "status": {"acceptedNames": {"kind": "Widget"}},
        }
    )


def test_a_crd_gets_a_bundle_only_when_it_converts_by_webhook() -> None:
    assert with_injected_ca(crd(None), OLD_CA, NOW) is None
    assert with_injected_ca(crd({"strategy": "None"}), OLD_CA, NOW) is None
    webhook = {"strategy": "Webhook", "webhook": {"conversionReviewVersions": ["v1"]}}
    updated = with_injected_ca(crd(webhook), OLD_CA, NOW)
    assert isinstance(updated, CustomResourceDefinition)
    written = updated.to_dict()["spec"]["conversion"]["webhook"]
    assert written["conversionReviewVersions"] == ["v1"]
    assert decode_bundle(written["clientConfig"]["caBundle"]) == OLD_CA


def test_an_api_service_gets_its_spec_ca_bundle() -> None:
    service = APIService.model_validate(
        {
            "metadata": {"name": "v1.example.com"},
            "spec": {
                "group": "example.com",
                "version": "v1",
                "groupPriorityMinimum": 1000,
                "versionPriority": 15,
            },
        }
    )
    updated = with_injected_ca(service, OLD_CA, NOW)
    assert isinstance(updated, APIService)
    assert decode_bundle(updated.spec.ca_bundle) == OLD_CA
    assert updated.to_dict()["spec"]["groupPriorityMinimum"] == 1000


def test_mutating_configurations_are_injected_like_validating_ones() -> None:
    raw = webhook_config({INJECT_CA_FROM: "ns/ca"}).to_dict()
    raw["kind"] = "MutatingWebhookConfiguration"
    raw["webhooks"][0]["reinvocationPolicy"] = "Never"
    mutating = MutatingWebhookConfiguration.model_validate(raw)
    updated = with_injected_ca(mutating, OLD_CA, NOW)
    assert isinstance(updated, MutatingWebhookConfiguration)
    assert updated.to_dict()["webhooks"][0]["reinvocationPolicy"] == "Never"
