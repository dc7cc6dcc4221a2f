"""Runs the user's reload hook after a mirrored Secret changed, with the paths in its environment."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HookOutcome:
    """ok: exited 0 in time. detail: what went wrong, for a Warning Event (never the hook's
    output, which could echo file contents)."""

    ok: bool
    detail: str = ""


def hook_environment(
    namespace: str, secret_name: str, directory: Path, output_dir: Path, files: Mapping[str, bytes]
) -> dict[str, str]:
    """The variables the hook gets, besides the daemon's own environment."""
    return {
        "CERTPILOT_SECRET_NAME": secret_name,
        "CERTPILOT_NAMESPACE": namespace,
        "CERTPILOT_CERT_FILE": str(directory / "tls.crt"),
        "CERTPILOT_KEY_FILE": str(directory / "tls.key"),
        "CERTPILOT_CA_FILE": str(directory / "ca.crt") if "ca.crt" in files else "",
        "CERTPILOT_OUTPUT_DIR": str(directory),
        "CERTPILOT_OUTPUT_ROOT": str(output_dir),
    }


async def run_hook(command: str, environment: Mapping[str, str], time_limit: float) -> HookOutcome:
    """Run command through the shell; killed after time_limit seconds."""
    process = await asyncio.create_subprocess_shell(
        command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, **environment},
        start_new_session=True,
    )
    try:
        code = await asyncio.wait_for(process.wait(), time_limit)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)
        await process.wait()
        return HookOutcome(False, f"the hook did not finish within {time_limit:g}s and was killed")
    if code != 0:
        return HookOutcome(False, f"the hook exited with status {code}")
    return HookOutcome(True)
