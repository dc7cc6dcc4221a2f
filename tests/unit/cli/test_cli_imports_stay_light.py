"""Every `certpilot` command imports certpilot.cli.main before it runs; what that import loads is
paid by every invocation. The Kubernetes store, the servers, the ACME client and the controllers
are imported by the commands that use them, never by the CLI's module import. Each check runs in a
fresh interpreter, since this test process has long imported everything."""

from __future__ import annotations

import json
import subprocess
import sys

# What only some commands need: `--kubeconfig` (lightkube, aiohttp), install, acmesolver/webhook
# (aiohttp servers), revoke (ACME client), renew/approve/deny (controllers), apply (manifest
# validation: cryptography.x509, croniter).
HEAVY = (
    "lightkube",
    "aiohttp",
    "httpx2",
    "acme",
    "josepy",
    "certpilot.store.kubernetes",
    "certpilot.store.kube_connection",
    "certpilot.server.webhook",
    "certpilot.acme.solvers.http01_cluster.acmesolver",
    "certpilot.cli.install_on_cluster",
    "certpilot.controllers.certificaterequests.approver",
    "certpilot.controllers.certificates.issuing.revocation",
    "certpilot.controllers.all_controllers",
    "certpilot.api.loader",
    "cryptography.x509",
    "croniter",
)

SCRIPT = """
import json, sys
import certpilot.cli.main
heavy = {heavy!r}
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def loaded_after(script: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", script.format(heavy=HEAVY)], check=True, capture_output=True, text=True
    )
    loaded: list[str] = json.loads(out.stdout.splitlines()[-1])
    return loaded


def test_importing_the_cli_loads_none_of_the_heavy_modules() -> None:
    assert loaded_after(SCRIPT) == []


def test_the_check_sees_a_heavy_module_once_it_is_imported() -> None:
    """The subprocess check is able to fail: importing the Kubernetes store shows up in it."""
    script = SCRIPT.replace(
        "import certpilot.cli.main", "import certpilot.cli.main, certpilot.store.kubernetes"
    )
    assert {"lightkube", "aiohttp", "certpilot.store.kubernetes"} <= set(loaded_after(script))
