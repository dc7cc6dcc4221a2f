"""Frozen API objects refuse every in-place change; their copies are writable and equal."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from certpilot.api.certificate import Certificate, CertificateStatus
from certpilot.api.meta import Condition
from certpilot.api.read_only import FrozenDict, FrozenList, ReadOnlyObjectError, freeze, is_frozen
from certpilot.testing.builders import certificate


def frozen_certificate() -> Certificate:
    cert = certificate("web")
    cert.metadata.labels = {"app": "web"}
    cert.status = CertificateStatus(
        conditions=[
            Condition(type="Ready", status="True", reason="Ready", last_transition_time=datetime.now(UTC))
        ]
    )
    cert = Certificate.model_validate_json(json.dumps(cert.to_dict()))
    freeze(cert)
    return cert


EDITS: dict[str, Callable[[Certificate], object]] = {
    "top-level field": lambda c: setattr(c, "status", None),
    "nested field": lambda c: setattr(c.spec, "secret_name", "other"),
    "deeply nested field": lambda c: setattr(c.spec.issuer_ref, "name", "other"),
    "field deletion": lambda c: delattr(c.spec, "secret_name"),
    "list append": lambda c: (c.spec.dns_names or []).append("x.example.com"),
    "list item": lambda c: (c.spec.dns_names or []).__setitem__(0, "x.example.com"),
    "list extend in place": lambda c: (c.spec.dns_names or []).__iadd__(["x"]),
    "list sort": lambda c: (c.spec.dns_names or []).sort(),
    "model in a list": lambda c: setattr(
        (c.status.conditions or [])[0] if c.status else c, "status", "False"
    ),
    "map item": lambda c: (c.metadata.labels or {}).__setitem__("app", "other"),
    "map update": lambda c: (c.metadata.labels or {}).update(app="other"),
    "map deletion": lambda c: (c.metadata.labels or {}).pop("app"),
    "fields set": lambda c: c.spec.__pydantic_fields_set__.add("duration"),
}


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_every_in_place_edit_of_a_frozen_object_is_refused(edit: Callable[[Certificate], object]) -> None:
    cert = frozen_certificate()
    before = cert.to_dict()
    with pytest.raises(ReadOnlyObjectError, match="read-only"):
        edit(cert)
    assert cert.to_dict() == before


def test_a_shallow_copy_is_writable_and_its_nested_parts_are_copy_on_write() -> None:
    cert = frozen_certificate()
    mine = cert.model_copy()
    assert not is_frozen(mine)
    mine.metadata = cert.metadata.model_copy(update={"labels": {"app": "mine"}})
    assert cert.metadata.labels == {"app": "web"}
    with pytest.raises(ReadOnlyObjectError):
        mine.spec.secret_name = "shared with the cache"


def test_a_deep_copy_is_plain_all_the_way_down_and_equal() -> None:
    cert = frozen_certificate()
    for mine in (cert.model_copy(deep=True), copy.deepcopy(cert)):
        assert mine == cert and mine.to_dict() == cert.to_dict()
        assert type(mine.spec.dns_names) is list and type(mine.metadata.labels) is dict
        mine.spec.issuer_ref.name = "other"
        (mine.spec.dns_names or []).append("x.example.com")
        (mine.metadata.labels or {})["app"] = "mine"
        assert cert.spec.issuer_ref.name != "other"
        assert cert.spec.dns_names == ["web.example.com"]
        assert cert.metadata.labels == {"app": "web"}


def test_frozen_containers_read_serialize_and_copy_as_plain_ones() -> None:
    cert = frozen_certificate()
    assert isinstance(cert.spec.dns_names, FrozenList) and isinstance(cert.metadata.labels, FrozenDict)
    assert Certificate.model_validate(cert.to_dict()) == cert
    assert json.loads(cert.model_dump_json(by_alias=True, exclude_none=True)) == cert.to_dict()
    assert type(copy.copy(cert.spec.dns_names)) is list and type(copy.copy(cert.metadata.labels)) is dict
    assert [*(cert.spec.dns_names or [])] == ["web.example.com"] and {**(cert.metadata.labels or {})} == {
        "app": "web"
    }
