"""The reload hook: environment, exit status, time limit."""

from __future__ import annotations

from pathlib import Path

from certpilot.outputs.hooks import hook_environment, run_hook


def test_environment_names_the_files(tmp_path: Path) -> None:
    env = hook_environment(
        "ns", "web-tls", tmp_path / "ns" / "web-tls", tmp_path, {"tls.crt": b"", "tls.key": b""}
    )
    assert env["CERTPILOT_CERT_FILE"] == str(tmp_path / "ns" / "web-tls" / "tls.crt")
    assert env["CERTPILOT_KEY_FILE"] == str(tmp_path / "ns" / "web-tls" / "tls.key")
    assert env["CERTPILOT_CA_FILE"] == ""
    assert env["CERTPILOT_SECRET_NAME"] == "web-tls"
    assert env["CERTPILOT_NAMESPACE"] == "ns"


async def test_hook_sees_its_environment(tmp_path: Path) -> None:
    out = tmp_path / "seen"
    outcome = await run_hook(f'echo "$CERTPILOT_SECRET_NAME" > {out}', {"CERTPILOT_SECRET_NAME": "web"}, 10)
    assert outcome.ok
    assert out.read_text().strip() == "web"


async def test_failing_hook_reports_the_status_only() -> None:
    outcome = await run_hook("echo secret-output; exit 7", {}, 10)
    assert not outcome.ok
    assert "7" in outcome.detail
    assert "secret-output" not in outcome.detail


async def test_slow_hook_is_killed() -> None:
    outcome = await run_hook("sleep 30", {}, 0.2)
    assert not outcome.ok
    assert "killed" in outcome.detail
