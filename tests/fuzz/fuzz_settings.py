"""How many cases each fuzz target runs in the test command: few, so the whole fuzz set stays
under a minute. `bench/fuzz.py --cases 10000` runs the full size and prints the figures;
CERTPILOT_FUZZ_CASES sets the size here too."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

SUITE_CASES = int(os.environ.get("CERTPILOT_FUZZ_CASES", "60"))


def fuzz_settings(cases: int) -> settings:
    """Hypothesis settings for a fuzz run: generation only (no shrinking: every case is tallied,
    none raises), no example database, no deadline."""
    return settings(
        max_examples=cases,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
