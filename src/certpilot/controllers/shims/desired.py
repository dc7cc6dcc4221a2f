"""The shims' decisions, as pure functions of the source object and the Certificates that exist:
which Certificates the source wants, which existing ones to change, which to delete."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from certpilot.api import annotations as keys
from certpilot.api.certificate import Certificate, CertificateSpec
from certpilot.api.common import IssuerReference
from certpilot.api.defaults import DEFAULT_USAGES
from certpilot.api.gateway import Gateway, ListenerSet
from certpilot.api.meta import ObjectMeta, OwnerReference
from certpilot.api.validate_certificate import certificate_spec_errors
from certpilot.controllers.shims.issuer_choice import issuer_for
from certpilot.controllers.shims.options import ShimOptions
from certpilot.controllers.shims.spec_annotations import spec_with_annotations
from certpilot.controllers.shims.tls_targets import ShimSource, secret_names_in_use, tls_targets

# Not copied from the source onto its Certificates: kubectl's applyset pruning would delete them
# (cert-manager issue 7306).
APPLYSET_LABEL = "applyset.kubernetes.io/part-of"
# Set on a shim's Certificate from the source, not by the user.
SHIM_SET_ANNOTATIONS = (
    keys.HTTP01_OVERRIDE_INGRESS_NAME,
    keys.ISSUE_TEMPORARY_CERTIFICATE,
    keys.HTTP01_OVERRIDE_INGRESS_CLASS,
    keys.HTTP01_OVERRIDE_INGRESS_CLASS_NAME,
    keys.HTTP01_PARENT_REF_KIND,
    keys.HTTP01_PARENT_REF_NAME,
)


@dataclass
class DesiredCertificates:
    """certificates: one per usable TLS Secret; skipped: a message per entry left out."""

    certificates: list[Certificate] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def desired_certificates(source: ShimSource, defaults: ShimOptions) -> DesiredCertificates:
    """The Certificates `source` asks for. Raises BadConfig when nothing can be decided (no issuer,
    a bad annotation, a secret name used twice); an unusable TLS entry is only skipped."""
    annotations = source.metadata.annotations or {}
    issuer = issuer_for(annotations, defaults)
    targets = tls_targets(source)
    desired = DesiredCertificates(skipped=list(targets.skipped))
    for secret_name, hosts in targets.hosts_by_secret.items():
        spec = spec_with_annotations(_base_spec(secret_name, hosts, issuer), annotations)
        errors = list(certificate_spec_errors(spec))
        if errors:
            desired.skipped.append(
                f"Skipped Secret {secret_name}: its Certificate would be invalid: "
                + "; ".join(str(e) for e in errors)
            )
            continue
        desired.certificates.append(
            Certificate(
                metadata=ObjectMeta(
                    name=secret_name,
                    namespace=source.namespace,
                    labels=_labels(source) or None,
                    annotations=_certificate_annotations(source) or None,
                    owner_references=[controller_reference(source)],
                ),
                spec=spec,
            )
        )
    return desired


def updated_certificate(existing: Certificate, desired: Certificate) -> Certificate | None:
    """`existing` changed in place to what `desired` says (spec, labels, and the annotations the
    shim sets; other annotations are kept), or None when nothing differs or another object
    controls it: a Certificate the user or another source made is never taken over."""
    owner = desired.metadata.owner_references[0] if desired.metadata.owner_references else None
    if owner is None or not is_controlled_by(existing, owner.uid):
        return None
    current_annotations = existing.metadata.annotations or {}
    wanted_annotations = desired.metadata.annotations or {}
    annotations = {
        **{k: v for k, v in current_annotations.items() if k not in SHIM_SET_ANNOTATIONS},
        **wanted_annotations,
    }
    if (
        existing.spec == desired.spec
        and (existing.metadata.labels or {}) == (desired.metadata.labels or {})
        and annotations == current_annotations
    ):
        return None
    metadata = existing.metadata.model_copy(
        update={"labels": desired.metadata.labels, "annotations": annotations or None}
    )
    return existing.model_copy(update={"metadata": metadata, "spec": desired.spec})


def certificates_to_delete(existing: Iterable[Certificate], source: ShimSource) -> list[Certificate]:
    """Certificates `source` controls whose Secret it no longer names in any TLS entry."""
    uid = source.metadata.uid or ""
    in_use = secret_names_in_use(source)
    return [c for c in existing if is_controlled_by(c, uid) and c.spec.secret_name not in in_use]


def controller_reference(source: ShimSource) -> OwnerReference:
    return OwnerReference(
        api_version=source.API_VERSION,
        kind=source.KIND,
        name=source.name,
        uid=source.metadata.uid or "",
        controller=True,
        block_owner_deletion=True,
    )


def is_controlled_by(certificate: Certificate, owner_uid: str) -> bool:
    return bool(owner_uid) and any(
        ref.controller and ref.uid == owner_uid for ref in certificate.metadata.owner_references or ()
    )


def with_parent_issuer(listener_set: ListenerSet, gateway: Gateway) -> ListenerSet:
    """The ListenerSet as the shim reads it: the parent Gateway's issuer annotations fill in what the
    ListenerSet does not set (its own issuer or cluster-issuer wins; issuer kind and group are the
    Gateway's when it sets them), as cert-manager's listenerset shim does. A copy: cached objects
    are never changed."""
    own = listener_set.metadata.annotations or {}
    parent = gateway.metadata.annotations or {}
    inherited = dict(own)
    if keys.INGRESS_ISSUER not in own and keys.INGRESS_CLUSTER_ISSUER not in own:
        inherited.update(_only(parent, (keys.INGRESS_ISSUER, keys.INGRESS_CLUSTER_ISSUER)))
    inherited.update(_only(parent, (keys.INGRESS_ISSUER_KIND, keys.INGRESS_ISSUER_GROUP)))
    metadata = listener_set.metadata.model_copy(update={"annotations": inherited})
    return listener_set.model_copy(update={"metadata": metadata})


def _only(annotations: Mapping[str, str], wanted: Sequence[str]) -> dict[str, str]:
    return {key: annotations[key] for key in wanted if key in annotations}


def _base_spec(secret_name: str, hosts: Sequence[str], issuer: IssuerReference) -> CertificateSpec:
    dns_names = [h for h in hosts if not _is_ip(h)]
    ip_addresses = [h for h in hosts if _is_ip(h)]
    return CertificateSpec(
        secret_name=secret_name,
        issuer_ref=issuer,
        dns_names=dns_names or None,
        ip_addresses=ip_addresses or None,
        usages=list(DEFAULT_USAGES),
    )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _labels(source: ShimSource) -> dict[str, str]:
    return {k: v for k, v in (source.metadata.labels or {}).items() if k != APPLYSET_LABEL}


def _certificate_annotations(source: ShimSource) -> dict[str, str]:
    """For the ACME HTTP-01 solver: where to answer (cert-manager's setIssuerSpecificConfig)."""
    annotations = source.metadata.annotations or {}
    wanted: dict[str, str] = {}
    if annotations.get(keys.INGRESS_EDIT_IN_PLACE) == "true":
        wanted[keys.HTTP01_OVERRIDE_INGRESS_NAME] = source.name
        wanted[keys.ISSUE_TEMPORARY_CERTIFICATE] = "true"
    if ingress_class := annotations.get(keys.INGRESS_HTTP01_INGRESS_CLASS):
        wanted[keys.HTTP01_OVERRIDE_INGRESS_CLASS] = ingress_class
    if ingress_class_name := annotations.get(keys.INGRESS_HTTP01_INGRESS_CLASS_NAME):
        wanted[keys.HTTP01_OVERRIDE_INGRESS_CLASS_NAME] = ingress_class_name
    if isinstance(source, Gateway | ListenerSet):
        wanted[keys.HTTP01_PARENT_REF_KIND] = source.KIND
        wanted[keys.HTTP01_PARENT_REF_NAME] = source.name
    return wanted
