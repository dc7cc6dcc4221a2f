"""Builders for the objects the store contract tests write (real certpilot API models)."""

from __future__ import annotations

from certpilot.api.certificate import Certificate, CertificateSpec
from certpilot.api.common import IssuerReference
from certpilot.api.core import Secret
from certpilot.api.issuer import ClusterIssuer, IssuerSpec, SelfSignedIssuer
from certpilot.api.meta import ObjectMeta, OwnerReference, Resource


def certificate(
    name: str,
    *,
    namespace: str = "default",
    labels: dict[str, str] | None = None,
    finalizers: list[str] | None = None,
    owners: list[Resource] | None = None,
    dns_names: list[str] | None = None,
) -> Certificate:
    return Certificate(
        metadata=ObjectMeta(
            name=name,
            namespace=namespace,
            labels=labels,
            finalizers=finalizers,
            owner_references=_owner_references(owners),
        ),
        spec=CertificateSpec(
            secret_name=f"{name}-tls",
            issuer_ref=IssuerReference(name="ca", kind="Issuer"),
            dns_names=dns_names or [f"{name}.example.com"],
        ),
    )


def secret(
    name: str,
    *,
    namespace: str = "default",
    labels: dict[str, str] | None = None,
    finalizers: list[str] | None = None,
    owners: list[Resource] | None = None,
) -> Secret:
    return Secret(
        metadata=ObjectMeta(
            name=name,
            namespace=namespace,
            labels=labels,
            finalizers=finalizers,
            owner_references=_owner_references(owners),
        ),
        type="Opaque",
    )


def cluster_issuer(name: str) -> ClusterIssuer:
    return ClusterIssuer(metadata=ObjectMeta(name=name), spec=IssuerSpec(self_signed=SelfSignedIssuer()))


def _owner_references(owners: list[Resource] | None) -> list[OwnerReference] | None:
    if not owners:
        return None
    return [
        OwnerReference(api_version=o.API_VERSION, kind=o.KIND, name=o.name, uid=o.metadata.uid or "")
        for o in owners
    ]
