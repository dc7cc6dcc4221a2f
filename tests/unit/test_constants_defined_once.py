"""One place for each constant: no module-level UPPER_CASE name is assigned the same value in two
modules of src/ (the second module imports it from the first). A value counts when it is a literal or
a call with literal arguments, such as `timedelta(hours=2160)`."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import certpilot

SRC = Path(certpilot.__file__).parent


def literal_constants(path: Path) -> list[tuple[str, str]]:
    """(name, source of the value) of each module-level `UPPER_CASE = literal` in one module."""
    found = []
    for node in ast.parse(path.read_text(), str(path)).body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        if not isinstance(target, ast.Name) or not target.id.isupper() or value is None:
            continue
        if is_constant_value(value):
            found.append((target.id, ast.unparse(value)))
    return found


# Type variables are declared per module by design: they are not values.
TYPE_DECLARATIONS = frozenset({"TypeVar", "ParamSpec", "TypeVarTuple", "NewType"})


def is_constant_value(value: ast.expr) -> bool:
    if isinstance(value, ast.Call):
        if not isinstance(value.func, ast.Name) or value.func.id in TYPE_DECLARATIONS:
            return False
        return all(map(is_constant_value, [*value.args, *(keyword.value for keyword in value.keywords)]))
    try:
        ast.literal_eval(value)
    except ValueError:
        return False
    return True


def duplicated_constants(root: Path) -> dict[tuple[str, str], list[str]]:
    where: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(root.rglob("*.py")):
        for constant in literal_constants(path):
            where[constant].append(str(path.relative_to(root)))
    return {constant: paths for constant, paths in where.items() if len(paths) > 1}


def test_no_constant_is_defined_twice() -> None:
    assert duplicated_constants(SRC) == {}


def test_the_scan_finds_a_duplicate(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text('DEFAULT_NAMESPACE = "default"\nLIMIT = 3\nDAYS = timedelta(days=1)\n')
    (tmp_path / "b.py").write_text(
        'DEFAULT_NAMESPACE = "default"\nLIMIT: int = 4\nDAYS = timedelta(days=1)\n'
    )
    assert duplicated_constants(tmp_path) == {
        ("DEFAULT_NAMESPACE", "'default'"): ["a.py", "b.py"],
        ("DAYS", "timedelta(days=1)"): ["a.py", "b.py"],
    }
