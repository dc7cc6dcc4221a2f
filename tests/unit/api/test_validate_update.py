"""Immutability and finality rules applied when an object is updated."""

from __future__ import annotations

from typing import Any

from certpilot.api.acme import Challenge, Order
from certpilot.api.certificate import Certificate
from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.enums import ConditionStatus
from certpilot.api.loader import load_manifests
from certpilot.api.meta import Condition, Resource
from certpilot.api.validation import validate, validate_update
from tests.unit.api.api_manifests import manifest_text


def _load(name: str) -> Resource:
    return load_manifests(manifest_text(name), name)[0]


def _changed(obj: Resource, **spec_changes: Any) -> Resource:
    data = obj.to_dict()
    data["spec"] = {**data["spec"], **spec_changes}
    return type(obj).model_validate(data)


def _paths(old: Resource, new: Resource) -> set[str]:
    return {error.path for error in validate_update(old, new)}


def test_unchanged_objects_are_valid_updates() -> None:
    for name in ("certificaterequest.yaml", "order.yaml", "challenge.yaml", "certificate.yaml"):
        obj = _load(name)
        assert validate_update(obj, obj.model_copy(deep=True)) == []


def test_certificate_request_spec_is_immutable() -> None:
    old = _load("certificaterequest.yaml")
    assert _paths(old, _changed(old, duration="24h", username="mallory")) == {
        "spec.duration",
        "spec.username",
    }


def test_order_spec_is_immutable() -> None:
    old = _load("order.yaml")
    assert isinstance(old, Order)
    assert _paths(old, _changed(old, dnsNames=["other.example.com"])) == {"spec.dnsNames"}


def test_challenge_spec_is_immutable() -> None:
    old = _load("challenge.yaml")
    assert isinstance(old, Challenge)
    errors = validate_update(old, _changed(old, token="other"))
    assert [e.path for e in errors] == ["spec.token"]
    assert "immutable" in errors[0].message


def test_certificate_spec_may_change() -> None:
    old = _load("certificate.yaml")
    assert isinstance(old, Certificate)
    assert validate_update(old, _changed(old, dnsNames=["other.example.com"])) == []


def test_status_updates_keep_the_spec_rule_quiet() -> None:
    old = _load("order.yaml")
    new = old.model_copy(deep=True)
    assert isinstance(new, Order) and new.status is not None
    new.status.reason = "changed"
    assert validate_update(old, new) == []


def _with_conditions(request: Resource, *conditions: Condition) -> CertificateRequest:
    data = request.to_dict()
    data["status"] = {"conditions": [c.to_dict() for c in conditions]}
    return CertificateRequest.model_validate(data)


APPROVED = Condition(type="Approved", status="True", reason="ok", message="approved")
DENIED = Condition(type="Denied", status="True", reason="no", message="denied")
READY = Condition(type="Ready", status="False", reason="Pending", message="waiting")


def test_approval_is_final() -> None:
    base = _load("certificaterequest.yaml")
    approved = _with_conditions(base, APPROVED, READY)
    assert _paths(approved, _with_conditions(base, READY)) == {"status.conditions[Approved]"}
    assert "status.conditions[Approved]" in _paths(approved, _with_conditions(base, DENIED))


def test_denial_is_final_and_excludes_approval() -> None:
    base = _load("certificaterequest.yaml")
    denied = _with_conditions(base, DENIED)
    paths = _paths(denied, _with_conditions(base, DENIED, APPROVED))
    assert paths == {"status.conditions"}
    assert _paths(denied, _with_conditions(base, READY)) == {"status.conditions[Denied]"}


def test_approving_a_pending_request_is_allowed() -> None:
    base = _load("certificaterequest.yaml")
    pending = _with_conditions(base, READY)
    assert validate_update(pending, _with_conditions(base, APPROVED, READY)) == []


def test_approved_may_only_be_true() -> None:
    base = _load("certificaterequest.yaml")
    false_approval = APPROVED.model_copy(update={"status": ConditionStatus.FALSE})
    assert [e.path for e in validate(_with_conditions(base, false_approval))] == [
        "status.conditions[Approved]"
    ]
