"""The plugin API is one module: examples/external-issuer imports nothing else from certpilot (its
tests may also use certpilot.testing), and it type-checks with mypy --strict against that module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from certpilot.issuers import api

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "external-issuer"
PLUGIN_API = "certpilot.issuers.api"
TEST_KIT = "certpilot.testing"


def certpilot_imports(path: Path) -> list[str]:
    """Every certpilot module one Python file imports (relative imports stay inside its package)."""
    modules = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            modules.append(node.module)
    return [m for m in modules if m == "certpilot" or m.startswith("certpilot.")]


def outside_the_api(path: Path, allowed: tuple[str, ...]) -> list[str]:
    return [
        module
        for module in certpilot_imports(path)
        if not any(module == a or module.startswith(f"{a}.") for a in allowed)
    ]


def test_the_example_plugin_imports_only_the_plugin_api() -> None:
    files = sorted((EXAMPLE / "src").rglob("*.py"))
    assert files
    assert {str(f.relative_to(EXAMPLE)): outside_the_api(f, (PLUGIN_API,)) for f in files} == {
        str(f.relative_to(EXAMPLE)): [] for f in files
    }


def test_the_example_tests_import_only_the_plugin_api_and_the_test_kit() -> None:
    files = sorted((EXAMPLE / "tests").rglob("*.py"))
    assert files
    assert {str(f.relative_to(EXAMPLE)): outside_the_api(f, (PLUGIN_API, TEST_KIT)) for f in files} == {
        str(f.relative_to(EXAMPLE)): [] for f in files
    }


def test_the_scan_sees_imports_of_other_modules(tmp_path: Path) -> None:
    module = tmp_path / "plugin.py"
    module.write_text(
        "import certpilot.issuers.ca\nfrom certpilot.issuers.api import IssuerPlugin\n"
        "from certpilot.issuers import request\nfrom . import sibling\nimport cryptography\n"
    )
    assert outside_the_api(module, (PLUGIN_API,)) == ["certpilot.issuers.ca", "certpilot.issuers"]


def test_every_published_name_exists() -> None:
    assert [name for name in api.__all__ if not hasattr(api, name)] == []


@pytest.mark.slow
def test_the_example_type_checks_strictly() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(EXAMPLE / "src"), str(EXAMPLE / "tests")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
