"""No memo lives at module level (docs/decisions.md, rule 2): each belongs to the controller or
issuer instance that fills it, so it dies with it and tests never share one. The one exception is
keyed by a digest of every input (content-addressed), so it cannot answer for changed inputs."""

from __future__ import annotations

import ast
from pathlib import Path

import certpilot

SRC = Path(certpilot.__file__).parent
# module -> memo: each keyed by the SHA-256 of its inputs, never by an object's name or version.
CONTENT_ADDRESSED = {("issuers/request.py", "CHECKED_CSRS")}


def module_level_memos(root: Path) -> set[tuple[str, str]]:
    found = set()
    for path in root.rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            value = node.value if isinstance(node, ast.AnnAssign | ast.Assign) else None
            if isinstance(value, ast.Call) and getattr(value.func, "id", None) == "BoundedMemo":
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        found.add((path.relative_to(root).as_posix(), target.id))
    return found


def test_only_content_addressed_memos_live_at_module_level() -> None:
    assert module_level_memos(SRC) == CONTENT_ADDRESSED


def test_the_scan_finds_a_module_level_memo(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("MEMO: BoundedMemo[int] = BoundedMemo(8)\n")
    assert module_level_memos(tmp_path) == {("m.py", "MEMO")}


def policy_inputs_without_memos(root: Path) -> list[str]:
    """Where src/ builds a PolicyInput without naming `memos`: it would get a fresh set that remembers
    nothing, and every reconcile would parse and compare again (correct, silently slow)."""
    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "PolicyInput"):
                continue
            if not any(keyword.arg == "memos" for keyword in node.keywords) and len(node.args) < 5:
                found.append(f"{path.relative_to(root).as_posix()}:{node.lineno}")
    return found


def test_every_policy_input_in_src_gets_its_controllers_memos() -> None:
    assert policy_inputs_without_memos(SRC) == []


def test_the_scan_finds_a_policy_input_without_memos(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "i = PolicyInput(cert, secret, None, now)\nj = PolicyInput(c, s, r, n, memos=m)\n"
    )
    assert policy_inputs_without_memos(tmp_path) == ["m.py:1"]
