"""The repository root holds no stray empty files: four (acme_harness, cli_harness, issuance_harness,
store_harness) were once committed by accident beside the test helper modules of those names. Any
tool or test writing to a path relative to the working directory would leave such a file here."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_repository_root_has_no_empty_files() -> None:
    empty = sorted(p.name for p in ROOT.iterdir() if p.is_file() and p.stat().st_size == 0)
    assert empty == [], f"stray empty files at the repository root: {empty}"


def test_test_modules_have_unique_names() -> None:
    """A test file is named in reports, tracebacks and `-k` by its file name alone: one name, one file."""
    tests = Path(__file__).resolve().parents[1]
    names = [path.name for path in tests.rglob("test_*.py")]
    assert sorted({name for name in names if names.count(name) > 1}) == []
