"""The --hook command is the user's own shell line, run as written: names reach it only as
environment values, never spliced into the command, so a name made of shell syntax stays data."""

from __future__ import annotations

import os
from pathlib import Path

from certpilot.outputs.hooks import hook_environment, run_hook

HOSTILE = "web;touch PWNED1 $(touch PWNED2) `touch PWNED3`"


async def test_names_with_shell_syntax_reach_the_hook_as_data(tmp_path: Path) -> None:
    directory = tmp_path / HOSTILE / HOSTILE
    environment = hook_environment(HOSTILE, HOSTILE, directory, tmp_path, {"tls.crt": b"", "tls.key": b""})
    seen = tmp_path / "seen"
    variables = '"$CERTPILOT_NAMESPACE" "$CERTPILOT_SECRET_NAME" "$CERTPILOT_KEY_FILE"'
    command = f'cd {tmp_path} && printf "%s\\n%s\\n%s" {variables} > {seen}'
    outcome = await run_hook(command, environment, 10)
    assert outcome.ok
    assert seen.read_text().splitlines() == [HOSTILE, HOSTILE, str(directory / "tls.key")]
    assert not [name for name in os.listdir(tmp_path) if name.startswith("PWNED")]
