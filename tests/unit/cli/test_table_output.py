"""`certpilot get` tables: whole cells into a pipe (as kubectl), fitted to a terminal without ever
cutting NAMESPACE or NAME. A terminal is simulated with rich's force_terminal and a fixed width."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.cells import cell_len
from rich.console import Console

from certpilot.api.certificate import Certificate, CertificateStatus
from certpilot.api.conditions import set_condition
from certpilot.cli.output import fitted_widths, print_table
from certpilot.testing.builders import certificate

NOW = datetime(2030, 1, 1, tzinfo=UTC)
NAMESPACE = "payments-production-europe-west"
NAME = "checkout-frontend-wildcard-certificate"
MESSAGE = "Certificate is up to date and has not expired, issued by the production CA for all 14 DNS names"


def ready(cert: Certificate) -> Certificate:
    copy = cert.model_copy(deep=True)
    copy.status = CertificateStatus(conditions=set_condition(None, "Ready", "True", "Ready", MESSAGE, NOW, 1))
    return copy


OBJECTS = [
    ready(certificate(NAME, NAMESPACE, secret_name="checkout-frontend-tls")),
    ready(certificate("api", "default")),
]


def printed(console: Console) -> list[str]:
    print_table("Certificate", OBJECTS, all_namespaces=True, wide=True, now=NOW, console=console)
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue().splitlines()


def test_into_a_pipe_every_cell_is_whole_on_one_line_three_spaces_apart() -> None:
    lines = printed(Console(file=io.StringIO(), force_terminal=False, width=80))
    assert len(lines) == 3
    assert lines[0].split() == ["NAMESPACE", "NAME", "READY", "SECRET", "ISSUER", "STATUS", "AGE"]
    assert re.split(" {3,}", lines[1]) == [
        NAMESPACE,
        NAME,
        "True",
        "checkout-frontend-tls",
        "ca",
        MESSAGE,
        "<unknown>",
    ]
    assert lines[2].startswith("default" + " " * (len(NAMESPACE) - len("default") + 3) + "api   ")
    assert all(line == line.rstrip() for line in lines)
    # Columns line up: every row's STATUS starts where its header does.
    assert {line.index(MESSAGE) for line in lines[1:]} == {lines[0].index("STATUS")}


def test_on_a_terminal_lines_fit_and_namespace_and_name_are_never_cut() -> None:
    lines = printed(Console(file=io.StringIO(), force_terminal=True, width=110, color_system=None))
    assert all(cell_len(line) <= 110 for line in lines)
    assert lines[1].startswith(f"{NAMESPACE}   {NAME}   True   ")
    assert "…" in lines[1] and MESSAGE not in lines[1]
    assert lines[0].split()[:2] == ["NAMESPACE", "NAME"]


def test_a_terminal_narrower_than_the_names_still_shows_them_whole() -> None:
    lines = printed(Console(file=io.StringIO(), force_terminal=True, width=40, color_system=None))
    assert lines[1].startswith(f"{NAMESPACE}   {NAME}   ")


def test_fitted_widths_keep_the_first_columns_and_share_the_rest_narrowest_first() -> None:
    assert fitted_widths([10, 20, 5, 50, 3], kept=2, available=100) == [10, 20, 5, 50, 3]
    assert fitted_widths([10, 20, 5, 50, 3], kept=2, available=50) == [10, 20, 5, 12, 3]
    assert fitted_widths([10, 20, 5, 50], kept=2, available=10) == [10, 20, 3, 3]


def test_certpilot_get_into_a_pipe_prints_whole_headers_and_names(tmp_path: Path) -> None:
    manifest = f"""
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {{name: {NAME}, namespace: {NAMESPACE}}}
spec:
  secretName: checkout-frontend-tls
  dnsNames: [checkout.example.com]
  issuerRef: {{name: ca}}
"""
    cli = [sys.executable, "-m", "certpilot.cli"]
    env_store = ["--store", str(tmp_path / "store.db")]
    applied = subprocess.run(
        [*cli, "apply", *env_store, "-f", "-"], input=manifest, capture_output=True, text=True
    )
    assert applied.returncode == 0, applied.stderr
    got = subprocess.run([*cli, "get", "certificates", "-A", *env_store], capture_output=True, text=True)
    assert got.returncode == 0, got.stderr
    header, row = got.stdout.splitlines()
    assert header.split() == ["NAMESPACE", "NAME", "READY", "SECRET", "AGE"]
    assert row.split()[:3] == [NAMESPACE, NAME, "checkout-frontend-tls"]
