"""How one fuzz case ended, and the tally a fuzz run reports (tests and bench/fuzz.py share it)."""

from __future__ import annotations

import traceback
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # the broken field happened to be valid, or was ignored as cert-manager does
    REFUSED = "refused"  # a typed error; each line names the broken field (or one holding it)
    UNCLEAR = "unclear_refusals"  # a typed error with a line that names another field, or none
    CRASHED = "crashes"  # any other exception: a traceback a user would see


@dataclass
class Tally:
    """Counts per outcome, with the first few examples of each bad outcome for the report."""

    counts: Counter[Outcome] = field(default_factory=Counter)
    examples: dict[Outcome, list[str]] = field(default_factory=dict)
    keep: int = 3

    def add(self, outcome: Outcome, detail: str = "") -> None:
        self.counts[outcome] += 1
        if outcome in (Outcome.UNCLEAR, Outcome.CRASHED):
            kept = self.examples.setdefault(outcome, [])
            if len(kept) < self.keep:
                kept.append(detail)

    def crashed(self, case: object, error: BaseException) -> None:
        trace = "".join(traceback.format_exception(error)[-6:])
        self.add(Outcome.CRASHED, f"{case!r}\n{trace}")

    @property
    def cases(self) -> int:
        return sum(self.counts.values())

    def figures(self) -> dict[str, object]:
        return {
            "cases": self.cases,
            **{outcome.value: self.counts[outcome] for outcome in Outcome},
            "examples": {outcome.value: texts for outcome, texts in self.examples.items()},
        }


def each_line_names(lines: list[str], names: tuple[str, ...]) -> bool:
    """A refusal a user can act on: each of its lines (one per problem) names one of names, the
    broken field or a field holding it."""
    return bool(lines) and all("\n" not in line and any(name in line for name in names) for line in lines)
