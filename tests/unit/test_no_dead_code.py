"""No function, method, class or import is defined and never used. vulture reads src/, tests/,
bench/ and examples/ together, since code in one is often used only by another. Its reports of
unused variables and attributes are left out: the API models' fields are read by pydantic and by
users' manifests, not by name. Neither are pytest's hooks and fixtures, nor typer's commands. A
name that something else calls without naming it in Python is listed below with that caller."""

from __future__ import annotations

from pathlib import Path

from vulture import Vulture

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("src", "tests", "bench", "examples")
DEAD_KINDS = frozenset({"function", "method", "class", "import"})

CALLED_WITHOUT_BEING_NAMED = {
    "model_post_init": "pydantic, after validating a model",
    "do_GET": "http.server, for each GET request",
    "do_POST": "http.server, for each POST request",
    "log_message": "http.server, for each request (overridden to keep test output quiet)",
    "connection_made": "asyncio, when a datagram endpoint opens",
    "datagram_received": "asyncio, for each datagram",
    "cert_verify": "requests' HTTPAdapter, on each HTTPS request",
    "_restricted_metric": "prometheus_client's restricted registry, for a filtered /metrics",
    "__call__": "a Protocol's call signature, checked by mypy",
}


def dead_code(paths: list[Path]) -> list[str]:
    # pytest calls its hooks by name and fixtures are asked for by strings (`usefixtures`) too;
    # typer registers a CLI command by its decorator.
    scan = Vulture(ignore_names=["pytest_*"], ignore_decorators=["@pytest.fixture", "@*.command"])
    scan.scavenge([str(path) for path in paths])
    return sorted(
        f"{item.filename}:{item.first_lineno}: {item.typ} {item.name}"
        for item in scan.get_unused_code()
        if item.typ in DEAD_KINDS and item.name not in CALLED_WITHOUT_BEING_NAMED
    )


def test_nothing_is_defined_and_never_used() -> None:
    assert dead_code([ROOT / folder for folder in SCANNED]) == []


def test_the_scan_finds_an_unused_function_and_import(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "import os\n\n\ndef used() -> int:\n    return 1\n\n\ndef unused() -> int:\n    return used()\n"
    )
    found = dead_code([tmp_path])
    assert sorted(line.split(": ", 1)[1] for line in found) == ["function unused", "import os"]
