"""pebble 2.10.1 (ARI, profiles, IP identifiers, dns-persist-01) for the tests of those features.

scripts/test unpacks it from ../shared/pebble and names the folder in $CERTPILOT_PEBBLE_DIR. Without it
the tests that need it skip, saying why; in CI (CERTPILOT_REQUIRE_KUBE set) its absence fails them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from certpilot.testing.peers.pebble import MODERN_PEBBLE_VARIABLE, modern_pebble_dir


@pytest.fixture(scope="session")
def modern_pebble() -> Path:
    """The folder holding pebble 2.10.1 and its pebble-challtestsrv."""
    folder = modern_pebble_dir()
    if folder is None:
        reason = f"no pebble 2.10.1: ${MODERN_PEBBLE_VARIABLE} is unset or lacks pebble, pebble-challtestsrv"
        if os.environ.get("CERTPILOT_REQUIRE_KUBE"):
            pytest.fail(f"{reason} (CERTPILOT_REQUIRE_KUBE is set: CI runs every peer)")
        print(reason)
        pytest.skip(reason)
    return folder
