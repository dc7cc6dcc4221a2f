"""Compare one benchmark figure between this tree and another checkout, in ABBA order.

Single runs of a pipeline benchmark spread by ±8 % on a quiet 2-core machine, and the machine's
speed drifts from one hour to the next, so two trees are only comparable when their runs alternate
(this, other, other, this per round) and each round is compared on its own. Every run uses this
tree's benchmark script and venv; only the certpilot code differs, chosen by PYTHONPATH=<tree>/src
(the daemon, a child process, inherits it). Each run gets a fresh --keep directory unless the
benchmark's arguments name one: then `{tree}` in them is replaced by `this` or `other`. That is for
scale.py --reuse, which measures restarts on a store each tree seeded itself; seed both first:
    PYTHONPATH=../base/src .venv/bin/python bench/scale.py --n 10000 --keep /tmp/scale-other
    .venv/bin/python bench/scale.py --n 10000 --keep /tmp/scale-this

Printed: one line per run on stderr; then one JSON object and a one-line summary: each tree's
runs, the per-round change of this tree against the other (sum of this tree's two runs over the
other's, minus one), its mean and standard error. A figure where lower is better (seconds) reads
the other way round.

usage: python bench/compare_trees.py --other DIR [--rounds 4] --figure PATH -- SCRIPT [ARGS...]
e.g.   python bench/compare_trees.py --other ../base --figure results.ecdsa.certificates_per_s \\
           -- ca_issuance.py --n 1000 --key ecdsa
       python bench/compare_trees.py --other ../base --figure restart_to_checked_s \\
           -- scale.py --n 10000 --keep /tmp/scale-{tree} --reuse --idle-seconds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from common import emit, machine_facts

BENCH = Path(__file__).resolve().parent
THIS_TREE = BENCH.parent
# One round: each tree twice, in an order that cancels a steady drift of the machine's speed.
ROUND_ORDER = ("this", "other", "other", "this")


class RunFailed(Exception):
    pass


def figure_at(result: dict[str, Any], path: str) -> float:
    """The number at a dotted path of a benchmark's JSON object (results.ecdsa.certificates_per_s)."""
    value: Any = result
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise RunFailed(f"the benchmark's output has no {path!r} (stopped at {part!r})")
        value = value[part]
    if not isinstance(value, int | float):
        raise RunFailed(f"{path!r} is {value!r}, not a number")
    return float(value)


def run_arguments(arguments: list[str], tree: str, fresh_keep: Path) -> list[str]:
    if "--keep" in arguments:
        return [argument.replace("{tree}", tree) for argument in arguments]
    return [*arguments, "--keep", str(fresh_keep)]


def run_once(script: str, arguments: list[str], source: Path) -> dict[str, Any]:
    environment = {**os.environ, "PYTHONPATH": str(source / "src")}
    completed = subprocess.run(
        [sys.executable, str(BENCH / script), *arguments],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    if completed.returncode != 0:
        raise RunFailed(f"{script} exited {completed.returncode}: {completed.stderr[-2000:]}")
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    if len(lines) < 2:
        raise RunFailed(f"{script} printed no result: {completed.stdout[-2000:]}")
    result = json.loads(lines[-2])
    if not isinstance(result, dict):
        raise RunFailed(f"{script} printed {lines[-2]!r}, not a JSON object")
    return result


def round_changes(this: list[float], other: list[float]) -> list[float]:
    """Per round (two runs of each tree), this tree's sum over the other's, minus one."""
    return [
        (this[2 * i] + this[2 * i + 1]) / (other[2 * i] + other[2 * i + 1]) - 1
        for i in range(min(len(this), len(other)) // 2)
    ]


def compare(
    other_tree: Path, rounds: int, figure: str, script: str, arguments: list[str], workdir: Path
) -> dict[str, Any]:
    trees = {"this": THIS_TREE, "other": other_tree}
    figures: dict[str, list[float]] = {"this": [], "other": []}
    for round_number in range(rounds):
        for position, tree in enumerate(ROUND_ORDER):
            keep = workdir / f"{tree}-{round_number}-{position}"
            result = run_once(script, run_arguments(arguments, tree, keep), trees[tree])
            value = figure_at(result, figure)
            figures[tree].append(value)
            print(f"round {round_number + 1} {tree}: {value}", file=sys.stderr, flush=True)
    changes = round_changes(figures["this"], figures["other"])
    return {
        "benchmark": "compare_trees",
        "script": script,
        "arguments": arguments,
        "figure": figure,
        "other_tree": str(other_tree),
        "rounds": rounds,
        "this": figures["this"],
        "other": figures["other"],
        "this_mean": round(statistics.mean(figures["this"]), 3),
        "other_mean": round(statistics.mean(figures["other"]), 3),
        "change_per_round": [round(change, 4) for change in changes],
        "change_mean": round(statistics.mean(changes), 4),
        "change_standard_error": (
            round(statistics.stdev(changes) / len(changes) ** 0.5, 4) if len(changes) > 1 else None
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--other", type=Path, required=True, help="the other checkout (a git worktree)")
    parser.add_argument("--rounds", type=int, default=4, help="ABBA rounds (default 4)")
    parser.add_argument("--figure", required=True, help="dotted path of the figure in the JSON output")
    parser.add_argument("--keep", type=Path, help="keep every run's directory here")
    parser.add_argument("benchmark", nargs=argparse.REMAINDER, help="-- SCRIPT [ARGS...]")
    args = parser.parse_args()
    benchmark = args.benchmark[1:] if args.benchmark[:1] == ["--"] else args.benchmark
    if not benchmark:
        parser.error("name the benchmark after --, e.g. -- ca_issuance.py --n 1000 --key ecdsa")
    if not (args.other / "src" / "certpilot").is_dir():
        parser.error(f"{args.other} is not a certpilot checkout: it has no src/certpilot")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    script, arguments = benchmark[0], benchmark[1:]
    with tempfile.TemporaryDirectory(prefix="certpilot-compare-") as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            result = compare(args.other.resolve(), args.rounds, args.figure, script, arguments, workdir)
        except RunFailed as error:
            sys.exit(f"compare_trees: {error}")
    result["machine"] = machine_facts()
    standard_error = result["change_standard_error"]
    emit(
        result,
        f"compare_trees {script} {args.figure}: this {result['this_mean']} against "
        f"{result['other_mean']}, {100 * result['change_mean']:+.1f} % per round"
        + (f" (standard error {100 * standard_error:.1f} %)" if standard_error is not None else ""),
    )


if __name__ == "__main__":
    main()
