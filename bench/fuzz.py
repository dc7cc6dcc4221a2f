"""Bad input, fuzzed at full size: every target of tests/fuzz for --cases cases (10,000 by default).

Prints one JSON object (per target: cases, accepted, refused, unclear_refusals, crashes, and the
first examples of any unclear refusal or crash) and a one-line summary. The targets are the test
suite's own (tests/fuzz/fuzz_targets.py), so the suite and this run check the same things.

usage: python bench/fuzz.py [--cases N] [--target NAME ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fuzz targets live in tests.fuzz

from common import emit, machine_facts
from tests.fuzz.fuzz_outcomes import Outcome
from tests.fuzz.fuzz_runner import run_target
from tests.fuzz.fuzz_targets import TARGETS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), help="default: every target")
    parser.add_argument("--keep", type=Path, help="unused: accepted like the other benchmarks")
    arguments = parser.parse_args()
    results: dict[str, object] = {}
    crashes = unclear = cases = 0
    for name in arguments.target or sorted(TARGETS):
        started = time.perf_counter()
        tally = run_target(TARGETS[name], arguments.cases)
        results[name] = {**tally.figures(), "seconds": round(time.perf_counter() - started, 1)}
        cases += tally.cases
        crashes += tally.counts[Outcome.CRASHED]
        unclear += tally.counts[Outcome.UNCLEAR]
    emit(
        {
            "benchmark": "fuzz",
            "machine": machine_facts(),
            "cases_per_target": arguments.cases,
            "results": results,
        },
        f"fuzz: {cases} cases over {len(results)} targets, {crashes} crashes, {unclear} unclear refusals",
    )
    sys.exit(1 if crashes or unclear else 0)


if __name__ == "__main__":
    main()
