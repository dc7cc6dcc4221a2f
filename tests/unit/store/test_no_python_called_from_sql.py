"""src/ registers no Python functions with SQLite (create_function, create_aggregate,
create_window_function, create_collation). SQLite calls such a function once per row from inside a
query on the store's thread, and every call takes the GIL back from the event loop (Secret bodies
were sealed that way, with or without a key). Work on bodies is done in Python before a write and
after a read (store/sealing.py, store/sqlite_ops.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import certpilot

SRC = Path(certpilot.__file__).parent
CALLBACK_REGISTRATIONS = frozenset(
    {"create_function", "create_aggregate", "create_window_function", "create_collation"}
)


def sql_callbacks_in(root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)}:{node.lineno}"
        for path in sorted(root.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Attribute) and node.attr in CALLBACK_REGISTRATIONS
    ]


def test_src_registers_no_python_function_with_sqlite() -> None:
    assert sql_callbacks_in(SRC) == []


def test_the_scan_finds_a_registration(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def f(c):\n    c.create_function('open_body', 1, str)\n")
    assert sql_callbacks_in(tmp_path) == ["m.py:2"]
