"""Object builders for the runtime tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from certpilot.api.core import Secret
from certpilot.api.meta import ObjectMeta, OwnerReference


def secret(
    name: str,
    namespace: str = "default",
    labels: dict[str, str] | None = None,
    owner_uid: str | None = None,
) -> Secret:
    owners = (
        [OwnerReference(api_version="cert-manager.io/v1", kind="Certificate", name="owner", uid=owner_uid)]
        if owner_uid
        else None
    )
    return Secret(
        metadata=ObjectMeta(name=name, namespace=namespace, labels=labels, owner_references=owners),
        type="Opaque",
    )


async def eventually(predicate: Callable[[], bool], what: str = "condition") -> None:
    """Poll (real time, bounded) until predicate holds: for effects of background tasks."""
    for _ in range(1000):
        if predicate():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{what} did not become true within 10 s")
