"""The example external issuer (examples/external-issuer) installed into this venv, as a user would."""

from __future__ import annotations

import importlib
import json
import site
import subprocess
import sys
import sysconfig
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "external-issuer"
DISTRIBUTION = "certpilot-localca"


def installed_from_example() -> bool:
    try:
        direct_url = distribution(DISTRIBUTION).read_text("direct_url.json")
    except PackageNotFoundError:
        return False
    return direct_url is not None and json.loads(direct_url).get("url") == EXAMPLE.as_uri()


@pytest.fixture(scope="session")
def example_plugin_installed() -> Path:
    """`pip install -e examples/external-issuer` unless already installed from there (idempotent),
    then made importable in this process (an editable install's .pth is read at startup)."""
    if not installed_from_example():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(EXAMPLE)],
            check=True,
            capture_output=True,
        )
    site.addsitedir(sysconfig.get_paths()["purelib"])
    importlib.invalidate_caches()
    return EXAMPLE
