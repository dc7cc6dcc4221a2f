"""Every option of the daemon is reachable from `certpilot run`, and each default lives in one place
(ControllerOptions / DaemonOptions): the command line reads it from there.

These tests stop at the hand-over to the daemon: `serve` is replaced by a recorder, because what is
under test is the flag -> options mapping, not the daemon (which the e2e CLI tests run for real)."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from certpilot.acme.solvers.http01_cluster.settings import SolverSettings
from certpilot.api.ca_injectables import (
    CustomResourceDefinition,
    MutatingWebhookConfiguration,
    ValidatingWebhookConfiguration,
)
from certpilot.cli import run
from certpilot.cli.errors import CLIError
from certpilot.cli.main import app
from certpilot.controllers.kubernetes_daemon import injectable_kinds
from certpilot.controllers.kubernetes_options import KubernetesOptions
from certpilot.controllers.options import ControllerOptions, DaemonOptions
from certpilot.controllers.shims.options import ShimOptions

Handed = list[tuple[ControllerOptions, DaemonOptions]]


@pytest.fixture
def handed(monkeypatch: pytest.MonkeyPatch) -> Handed:
    received: Handed = []
    monkeypatch.setattr(run, "serve", lambda _store, options, daemon: received.append((options, daemon)))
    return received


def run_flag_names() -> set[str]:
    """The run command's parameters, by the Python name typer gives each flag."""
    command = typer.main.get_command(app)
    return {p.name for p in command.commands["run"].params if p.name}  # type: ignore[attr-defined]


def invoke(tmp_path: Path, *flags: str) -> Result:
    return CliRunner().invoke(app, ["run", "--store", str(tmp_path / "store.db"), *flags])


def test_every_field_of_the_daemon_options_has_a_run_flag() -> None:
    wanted = {
        f.name
        for options in (ControllerOptions, DaemonOptions, KubernetesOptions, ShimOptions)
        for f in fields(options)
    } - {"http01_solver"}
    # The solver settings are cert-manager's --acme-http01-solver-* flags.
    wanted |= {f"acme_http01_solver_{f.name}" for f in fields(SolverSettings)}
    missing = wanted - run_flag_names()
    assert not missing, f"`certpilot run` has no flag for {sorted(missing)}"


def test_run_without_flags_hands_the_daemon_exactly_the_option_classes_defaults(
    tmp_path: Path, handed: Handed
) -> None:
    result = invoke(tmp_path)
    assert result.exit_code == 0, result.output
    assert handed == [(ControllerOptions(), DaemonOptions())]


def test_the_flags_added_for_unreachable_options_set_them(tmp_path: Path, handed: Handed) -> None:
    result = invoke(
        tmp_path,
        "--dns01-webhook-url",
        "acme.example.com=https://127.0.0.1:8443",
        "--dns01-webhook-url",
        "dns.example.org=http://127.0.0.1:9000",
        "--acme-http-timeout",
        "7",
        "--workers",
        "3",
        "--http01-listen",
        "",
    )
    assert result.exit_code == 0, result.output
    [(options, daemon)] = handed
    assert options.dns01_webhook_urls == {
        "acme.example.com": "https://127.0.0.1:8443",
        "dns.example.org": "http://127.0.0.1:9000",
    }
    assert options.acme_http_timeout == 7
    assert options.http01_listen == ()
    assert daemon.workers == 3


def test_durations_and_seconds_flags_convert_to_the_options_types(tmp_path: Path, handed: Handed) -> None:
    result = invoke(tmp_path, "--issuance-backoff-initial", "90m", "--dns01-check-retry-period", "2.5")
    assert result.exit_code == 0, result.output
    [(options, _)] = handed
    assert options.issuance_backoff_initial == timedelta(minutes=90)
    assert options.dns01_check_retry_period == timedelta(seconds=2.5)


@pytest.mark.parametrize("value", ["acme.example.com", "=https://x", "acme.example.com=ftp://x"])
def test_a_malformed_webhook_url_is_refused_naming_the_flag(
    tmp_path: Path, handed: Handed, value: str
) -> None:
    result = invoke(tmp_path, "--dns01-webhook-url", value)
    assert isinstance(result.exception, CLIError)
    assert "--dns01-webhook-url" in str(result.exception) and "GROUP=URL" in str(result.exception)
    assert handed == []


def test_kubernetes_flags_hand_the_kubernetes_runtime_its_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[KubernetesOptions] = []
    monkeypatch.setattr(
        run, "serve_on_kubernetes", lambda _options, _daemon, kube, _shims: received.append(kube)
    )
    kubeconfig = tmp_path / "kubeconfig"
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--kubeconfig",
            str(kubeconfig),
            "--namespace",
            "team-a",
            "--leader-election-retry-period",
            "2s",
        ],
    )
    assert result.exit_code == 0, result.output
    assert received == [
        KubernetesOptions(kubeconfig=kubeconfig, namespace="team-a", leader_election_retry_period=2.0)
    ]


def test_http01_solver_flags_hand_the_kubernetes_runtime_its_solver_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[KubernetesOptions] = []
    monkeypatch.setattr(
        run, "serve_on_kubernetes", lambda _options, _daemon, kube, _shims: received.append(kube)
    )
    flags = [
        "--acme-http01-solver-image=registry.test/certpilot:9",
        "--acme-http01-solver-resource-limits-memory=128Mi",
        "--no-acme-http01-solver-run-as-non-root",
        "--acme-http01-solver-extra-labels=team=web,tier=edge",
        "--acme-http01-solver-runtime-class-name=gvisor",
    ]
    result = CliRunner().invoke(app, ["run", "--kubeconfig", str(tmp_path / "k"), *flags])
    assert result.exit_code == 0, result.output
    assert [kube.http01_solver for kube in received] == [
        SolverSettings(
            image="registry.test/certpilot:9",
            resource_limits_memory="128Mi",
            run_as_non_root=False,
            extra_labels={"team": "web", "tier": "edge"},
            runtime_class_name="gvisor",
        )
    ]
    bad = CliRunner().invoke(app, ["run", "--kubeconfig", "k", "--acme-http01-solver-extra-labels=web"])
    assert isinstance(bad.exception, CLIError) and "'web' is not KEY=VALUE" in str(bad.exception)


def test_shim_flags_hand_the_kubernetes_runtime_its_shim_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[ShimOptions] = []
    monkeypatch.setattr(
        run, "serve_on_kubernetes", lambda _options, _daemon, _kube, shims: received.append(shims)
    )
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--kubeconfig",
            str(tmp_path / "kubeconfig"),
            "--default-issuer-name",
            "letsencrypt",
            "--default-issuer-kind",
            "ClusterIssuer",
            "--enable-gateway-api",
            "--enable-gateway-api-listenerset",
        ],
    )
    assert result.exit_code == 0, result.output
    assert received == [
        ShimOptions(
            default_issuer_name="letsencrypt",
            default_issuer_kind="ClusterIssuer",
            enable_gateway_api=True,
            enable_gateway_api_listenerset=True,
        )
    ]


def test_without_shim_flags_the_gateway_shims_are_off_and_no_default_issuer_is_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[ShimOptions] = []
    monkeypatch.setattr(
        run, "serve_on_kubernetes", lambda _options, _daemon, _kube, shims: received.append(shims)
    )
    result = CliRunner().invoke(app, ["run", "--kubeconfig", str(tmp_path / "kubeconfig")])
    assert result.exit_code == 0, result.output
    assert received == [ShimOptions()]
    assert not received[0].enable_gateway_api and received[0].default_issuer_name == ""


def test_the_ca_injector_flags_turn_it_or_its_kinds_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[KubernetesOptions] = []
    monkeypatch.setattr(
        run, "serve_on_kubernetes", lambda _options, _daemon, kube, _shims: received.append(kube)
    )
    kubeconfig = str(tmp_path / "kubeconfig")
    for flags in (
        ["--no-enable-cainjector"],
        ["--no-enable-apiservices-injectable", "--no-enable-certificates-data-source"],
    ):
        result = CliRunner().invoke(app, ["run", "--kubeconfig", kubeconfig, *flags])
        assert result.exit_code == 0, result.output
    off, partly = received
    assert injectable_kinds(off) == []
    assert not partly.enable_certificates_data_source
    assert injectable_kinds(partly) == [
        ValidatingWebhookConfiguration,
        MutatingWebhookConfiguration,
        CustomResourceDefinition,
    ]
