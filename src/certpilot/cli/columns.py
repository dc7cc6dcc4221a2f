"""kubectl-style columns for `certpilot get`, per kind (cert-manager's printer columns)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from certpilot.api.meta import Condition, Resource


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any, datetime], str]
    wide_only: bool = False


def human_age(since: datetime | None, now: datetime) -> str:
    """kubectl's short age: 42s, 7m, 5h, 3d, 2y."""
    if since is None:
        return "<unknown>"
    seconds = max(0, int((now - since).total_seconds()))
    for unit, size in (("y", 365 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= 2 * size or (unit in ("m", "h") and seconds >= size):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _status(obj: Any) -> Any:
    return getattr(obj, "status", None)


def _condition(obj: Any, type_: str) -> Condition | None:
    status = _status(obj)
    for condition in (getattr(status, "conditions", None) or []) if status else []:
        if condition.type == type_:
            return condition  # type: ignore[no-any-return]
    return None


def condition_status(obj: Any, type_: str) -> str:
    condition = _condition(obj, type_)
    return condition.status if condition else ""


def condition_message(obj: Any, type_: str) -> str:
    condition = _condition(obj, type_)
    return (condition.message or "") if condition else ""


def _age(obj: Resource, now: datetime) -> str:
    return human_age(obj.metadata.creation_timestamp, now)


def _issuer_ref(obj: Any) -> str:
    ref = obj.spec.issuer_ref
    return str(ref.name) if ref else ""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


AGE = Column("AGE", _age)

COLUMNS: dict[str, list[Column]] = {
    "Certificate": [
        Column("READY", lambda o, _: condition_status(o, "Ready")),
        Column("SECRET", lambda o, _: _text(o.spec.secret_name)),
        Column("ISSUER", lambda o, _: _issuer_ref(o), wide_only=True),
        Column("STATUS", lambda o, _: condition_message(o, "Ready"), wide_only=True),
        AGE,
    ],
    "CertificateRequest": [
        Column("APPROVED", lambda o, _: condition_status(o, "Approved")),
        Column("DENIED", lambda o, _: condition_status(o, "Denied")),
        Column("READY", lambda o, _: condition_status(o, "Ready")),
        Column("ISSUER", lambda o, _: _issuer_ref(o)),
        Column("REQUESTER", lambda o, _: _text(o.spec.username)),
        Column("STATUS", lambda o, _: condition_message(o, "Ready"), wide_only=True),
        AGE,
    ],
    "Issuer": [
        Column("READY", lambda o, _: condition_status(o, "Ready")),
        Column("STATUS", lambda o, _: condition_message(o, "Ready"), wide_only=True),
        AGE,
    ],
    "Order": [
        Column("STATE", lambda o, _: _text(o.status.state if o.status else None)),
        Column("ISSUER", lambda o, _: _issuer_ref(o), wide_only=True),
        Column("REASON", lambda o, _: _text(o.status.reason if o.status else None), wide_only=True),
        AGE,
    ],
    "Challenge": [
        Column("STATE", lambda o, _: _text(o.status.state if o.status else None)),
        Column("DOMAIN", lambda o, _: _text(o.spec.dns_name)),
        Column("REASON", lambda o, _: _text(o.status.reason if o.status else None), wide_only=True),
        AGE,
    ],
    "Secret": [
        Column("TYPE", lambda o, _: _text(o.type) or "Opaque"),
        Column("DATA", lambda o, _: str(len(o.data or {}))),
        AGE,
    ],
    "Event": [
        Column("TYPE", lambda o, _: _text(o.type)),
        Column("REASON", lambda o, _: _text(o.reason)),
        Column("OBJECT", lambda o, _: f"{o.involved_object.kind.lower()}/{o.involved_object.name}"),
        Column("MESSAGE", lambda o, _: _text(o.message)),
    ],
}
COLUMNS["ClusterIssuer"] = COLUMNS["Issuer"]
COLUMNS["Namespace"] = [
    Column("STATUS", lambda o, _: _text(o.status.phase if o.status else None) or "Active"),
    AGE,
]


def columns_for(kind: str, wide: bool) -> list[Column]:
    return [c for c in COLUMNS.get(kind, [AGE]) if wide or not c.wide_only]
