"""Every fuzz target at the suite's small size (fuzz_settings.SUITE_CASES each): no case ends in a
traceback, and every refusal names the broken field or cause. `bench/fuzz.py` runs 10,000 each."""

from __future__ import annotations

import json

import pytest

from tests.fuzz.fuzz_outcomes import Outcome
from tests.fuzz.fuzz_runner import run_target
from tests.fuzz.fuzz_settings import SUITE_CASES
from tests.fuzz.fuzz_targets import TARGETS


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_no_crash_and_every_refusal_names_the_field(name: str) -> None:
    tally = run_target(TARGETS[name], SUITE_CASES)
    figures = json.dumps(tally.figures(), indent=1)
    assert tally.cases >= SUITE_CASES // 2, figures
    assert tally.counts[Outcome.CRASHED] == 0, figures
    assert tally.counts[Outcome.UNCLEAR] == 0, figures
    assert tally.counts[Outcome.REFUSED] > 0, figures  # the cases do break something
