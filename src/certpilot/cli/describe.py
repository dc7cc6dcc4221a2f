"""`describe`: one object as a person reads it, with its conditions and recent events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import yaml

from certpilot.api.core import Event
from certpilot.api.meta import Resource
from certpilot.cli.columns import human_age
from certpilot.store.protocol import Store


def _block(title: str, body: Any) -> list[str]:
    if not body:
        return [f"{title}:  <none>"]
    text = yaml.safe_dump(body, sort_keys=False, default_flow_style=False).rstrip("\n")
    return [f"{title}:", *("  " + line for line in text.splitlines())]


def _mapping(title: str, values: dict[str, str] | None) -> list[str]:
    if not values:
        return [f"{title + ':':<14}<none>"]
    lines = []
    for i, (k, v) in enumerate(sorted(values.items())):
        lines.append(f"{(title + ':') if i == 0 else '':<14}{k}={v}")
    return lines


async def events_for(store: Store, obj: Resource) -> list[Event]:
    events, _ = await store.list(Event, namespace=obj.metadata.namespace or None)
    mine = [e for e in events if e.involved_object.uid == obj.metadata.uid]
    return sorted(mine, key=lambda e: e.last_timestamp or e.metadata.creation_timestamp or datetime.min)


def render_events(events: list[Event], now: datetime) -> list[str]:
    if not events:
        return ["Events:  <none>"]
    rows = [("Type", "Reason", "Age", "From", "Message"), ("----", "------", "----", "----", "-------")]
    for e in events:
        age = human_age(e.last_timestamp or e.metadata.creation_timestamp, now)
        if (e.count or 1) > 1:
            age = f"{age} (x{e.count} over {human_age(e.first_timestamp, now)})"
        source = e.source.component if e.source and e.source.component else (e.reporting_component or "")
        rows.append((e.type or "", e.reason or "", age, source or "", e.message or ""))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["Events:"]
    for r in rows:
        lines.append("  " + "  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4])
    return lines


async def describe_object(store: Store, obj: Resource, now: datetime) -> str:
    body = obj.to_dict()
    meta = obj.metadata
    lines = [f"{'Name:':<14}{obj.name}"]
    if obj.NAMESPACED:
        lines.append(f"{'Namespace:':<14}{meta.namespace}")
    lines += _mapping("Labels", meta.labels)
    lines += _mapping("Annotations", meta.annotations)
    lines.append(f"{'API Version:':<14}{obj.api_version}")
    lines.append(f"{'Kind:':<14}{obj.kind}")
    lines.append(
        f"{'Created:':<14}{meta.creation_timestamp.isoformat() if meta.creation_timestamp else '<unknown>'}"
    )
    if meta.deletion_timestamp:
        lines.append(
            f"{'Deleting:':<14}since {meta.deletion_timestamp.isoformat()} (finalizers {meta.finalizers})"
        )
    if obj.KIND == "Secret":
        data = body.get("data") or {}
        lines.append(f"{'Type:':<14}{body.get('type', 'Opaque')}")
        lines.append("Data:")
        lines += [f"  {k}:  {len(obj.get_data(k) or b'')} bytes" for k in sorted(data)]  # type: ignore[attr-defined]
    else:
        lines += _block("Spec", body.get("spec"))
        lines += _block("Status", body.get("status"))
    lines += render_events(await events_for(store, obj), now)
    return "\n".join(lines)
