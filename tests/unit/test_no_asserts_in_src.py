"""src/ has no `assert` statements: python -O strips them, and a broken invariant must raise a typed
error that says what went wrong (or be proven by the types, so there is nothing to check)."""

from __future__ import annotations

import ast
from pathlib import Path

import certpilot

SRC = Path(certpilot.__file__).parent


def asserts_in(root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)}:{node.lineno}"
        for path in sorted(root.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Assert)
    ]


def test_src_has_no_asserts() -> None:
    assert asserts_in(SRC) == []


def test_the_scan_finds_an_assert(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def f(x: int | None) -> int:\n    assert x is not None\n    return x\n")
    assert asserts_in(tmp_path) == ["m.py:2"]
