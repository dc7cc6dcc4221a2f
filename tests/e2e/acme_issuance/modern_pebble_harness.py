"""pebble 2.10.1 for the tests of IP certificates, revocation, issuer fallback and dns-persist-01:
one copy per session, resolving names at the session's BIND, issuing 90-day certificates only
(an order naming no profile would otherwise get a random one of those configured)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from certpilot.testing.peers.pebble import PebbleServer

NINETY_DAYS_SECONDS = 90 * 24 * 3600


def modern_pebble_server(
    pebble_factory: Callable[..., PebbleServer], folder: Path, **options: Any
) -> PebbleServer:
    name = "modern" + "".join(f"-{k}" for k in sorted(options))
    return pebble_factory(
        name, binary=str(folder / "pebble"), profiles={"default": NINETY_DAYS_SECONDS}, **options
    )


def certificate_status(pebble: PebbleServer, serial: int) -> dict[str, Any]:
    """pebble's management API view of one certificate (`Status`: Valid / Revoked, `Reason`)."""
    response = requests.get(
        f"{pebble.management_url}/cert-status-by-serial/{serial:x}",
        verify=str(pebble.ca_bundle_path),
        timeout=10,
    )
    response.raise_for_status()
    status: dict[str, Any] = response.json()
    return status
