"""An external issuer installed as a package: found through its entry point, given certpilot's
request lifecycle (approval, readiness, conditions), and requests for groups no plugin serves
left untouched."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path
from typing import Any

from certpilot.api.certificaterequest import CertificateRequest
from certpilot.api.conditions import get_condition
from certpilot.api.meta import Condition, ObjectMeta
from certpilot.controllers.options import ControllerOptions
from certpilot.issuers.plugins import load_plugins
from certpilot.issuers.registry import builtin_backends
from tests.e2e.external.plugin_harness import eventually, openssl_verify, request_for, running_certpilot

GROUP = "localca.example.com"
SIGNER = f"{GROUP}/LocalCAIssuer"


def ready_of(obj: Any) -> Condition | None:
    return get_condition(obj.status.conditions if obj is not None and obj.status else None, "Ready")


def test_the_installed_plugin_is_found_through_its_entry_point(example_plugin_installed: Path) -> None:
    plugins = {p.group: p for p in load_plugins()}
    assert [model.KIND for model in plugins[GROUP].kinds] == ["LocalCAIssuer"]
    backends = builtin_backends()
    assert backends.serves(GROUP) and not backends.serves("awspca.cert-manager.io")
    assert backends.plugin_model_for(GROUP, "LocalCAIssuer") is plugins[GROUP].kinds[0]


def test_the_examples_own_tests_pass(example_plugin_installed: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(example_plugin_installed / "tests"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def test_a_plugin_issues_through_the_lifecycle_and_unknown_groups_stay_untouched(
    tmp_path: Path, example_plugin_installed: Path
) -> None:
    from certpilot_localca import LocalCAIssuer, LocalCAIssuerSpec

    from tests.e2e.external.localca_material import ca_secret

    options = ControllerOptions(approve_signers=(SIGNER,))
    async with running_certpilot(tmp_path / "store.db", options, builtin_backends()) as store:
        await store.create(
            request_for("foreign", "a.example.test", "pca", "AWSPCAIssuer", "awspca.cert-manager.io")
        )
        secret, ca_pem = ca_secret()
        await store.create(secret)
        issuer = LocalCAIssuer(
            metadata=ObjectMeta(name="localca", namespace="default"),
            spec=LocalCAIssuerSpec(secret_name=secret.name),
        )
        await store.create(issuer)
        await store.create(request_for("web", "web.example.test", "localca", "LocalCAIssuer", GROUP))

        async def issued() -> CertificateRequest | None:
            cr = await store.get(CertificateRequest, "web", "default")
            ready = ready_of(cr)
            return cr if ready is not None and ready.reason in ("Issued", "Failed") else None

        cr = await eventually(issued, "the plugin's request to be Issued")
        issuer_ready = ready_of(await store.get(LocalCAIssuer, "localca", "default"))
        foreign = await store.get(CertificateRequest, "foreign", "default")
    issued_condition = ready_of(cr)
    assert issued_condition is not None and issued_condition.reason == "Issued"
    assert issuer_ready is not None and (issuer_ready.status, issuer_ready.reason) == ("True", "CAVerified")
    assert cr.status is not None and cr.status.certificate is not None
    assert openssl_verify(base64.b64decode(cr.status.certificate), ca_pem, tmp_path).endswith("OK")
    assert foreign.status is None or not foreign.status.conditions


async def test_plugin_requests_wait_for_approval_unless_the_signer_is_listed(
    tmp_path: Path, example_plugin_installed: Path
) -> None:
    from certpilot_localca import LocalCAIssuer, LocalCAIssuerSpec

    from tests.e2e.external.localca_material import ca_secret

    async with running_certpilot(tmp_path / "store.db", ControllerOptions(), builtin_backends()) as store:
        secret, _ = ca_secret()
        await store.create(secret)
        await store.create(
            LocalCAIssuer(
                metadata=ObjectMeta(name="localca", namespace="default"),
                spec=LocalCAIssuerSpec(secret_name=secret.name),
            )
        )
        await store.create(request_for("web", "web.example.test", "localca", "LocalCAIssuer", GROUP))

        async def waiting() -> Condition | None:
            ready = ready_of(await store.get(CertificateRequest, "web", "default"))
            return ready if ready is not None else None

        ready = await eventually(waiting, "the request to be seen by the signer")
    assert (ready.status, ready.reason) == ("False", "Pending")
    assert "approved" in (ready.message or "")
