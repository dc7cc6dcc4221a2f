"""Admission checks: the rules cert-manager's webhook enforces, as lists of FieldErrors.

`validate` checks one object as submitted; `validate_update` adds the rules about what may change.
An empty list means the object is acceptable.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from certpilot.api import checks
from certpilot.api.acme import Challenge, Order
from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import APPROVED, DENIED, get_condition
from certpilot.api.core import Secret
from certpilot.api.enums import ConditionStatus
from certpilot.api.field_error import FieldError
from certpilot.api.issuer import ClusterIssuer, Issuer
from certpilot.api.meta import Condition, Resource
from certpilot.api.validate_certificate import (
    certificate_request_spec_errors,
    certificate_spec_errors,
    issuer_ref_errors,
)
from certpilot.api.validate_issuer import issuer_spec_errors

__all__ = ["FieldError", "validate", "validate_update"]


def validate(obj: Resource) -> list[FieldError]:
    return [*_metadata_errors(obj), *_kind_errors(obj)]


def validate_update(old: Resource, new: Resource) -> list[FieldError]:
    """Errors in `new` itself, plus changes cert-manager refuses (immutable specs, final approvals)."""
    return [*validate(new), *_update_errors(old, new)]


def _metadata_errors(obj: Resource) -> Iterator[FieldError]:
    meta = obj.metadata
    if meta.name is not None or not meta.generate_name:
        problem = checks.dns1123_subdomain_problem(meta.name or "")
        if problem:
            yield FieldError("metadata.name", problem)
    if meta.namespace is not None and obj.NAMESPACED:
        problem = checks.dns1123_label_problem(meta.namespace)
        if problem:
            yield FieldError("metadata.namespace", problem)


def _kind_errors(obj: Resource) -> Iterator[FieldError]:
    if isinstance(obj, Certificate):
        yield from certificate_spec_errors(obj.spec)
    elif isinstance(obj, CertificateRequest):
        yield from certificate_request_spec_errors(obj.spec)
        yield from _approval_errors(obj.status.conditions if obj.status else None)
    elif isinstance(obj, Issuer | ClusterIssuer):
        yield from issuer_spec_errors(obj.spec)
    elif isinstance(obj, Order):
        yield from issuer_ref_errors(obj.spec.issuer_ref, "spec.issuerRef")
        problem = checks.pem_csr_problem(obj.spec.request)
        if problem:
            yield FieldError("spec.request", problem)
    elif isinstance(obj, Challenge):
        yield from issuer_ref_errors(obj.spec.issuer_ref, "spec.issuerRef")
        if not obj.spec.dns_name:
            yield FieldError("spec.dnsName", "must be set: the DNS name this challenge proves")
    elif isinstance(obj, Secret):
        for key, value in (obj.data or {}).items():
            problem = checks.base64_problem(value)
            if problem:
                yield FieldError(f"data[{key}]", f"{problem}; put plain text in stringData instead")


def _approval_errors(conditions: list[Condition] | None) -> Iterator[FieldError]:
    approved = get_condition(conditions, APPROVED)
    denied = get_condition(conditions, DENIED)
    if approved is not None and denied is not None:
        yield FieldError("status.conditions", "a request may not be both Approved and Denied")
    for condition in (approved, denied):
        if condition is not None and condition.status != ConditionStatus.TRUE:
            yield FieldError(
                f"status.conditions[{condition.type}]", f"the {condition.type} condition may only be 'True'"
            )


def _update_errors(old: Resource, new: Resource) -> Iterator[FieldError]:
    if isinstance(old, CertificateRequest | Order | Challenge) and type(new) is type(old):
        old_spec: dict[str, Any] = old.to_dict()["spec"]
        new_spec: dict[str, Any] = new.to_dict()["spec"]
        for key in sorted(set(old_spec) | set(new_spec)):
            if old_spec.get(key) != new_spec.get(key):
                yield FieldError(f"spec.{key}", f"{old.KIND} spec is immutable once created")
    if isinstance(old, CertificateRequest) and isinstance(new, CertificateRequest):
        old_conditions = old.status.conditions if old.status else None
        new_conditions = new.status.conditions if new.status else None
        for kind in (APPROVED, DENIED):
            before = get_condition(old_conditions, kind)
            after = get_condition(new_conditions, kind)
            if before is not None and (after is None or after.status != before.status):
                yield FieldError(
                    f"status.conditions[{kind}]", f"the {kind} condition is final and may not be changed"
                )
