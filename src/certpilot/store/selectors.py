"""Kubernetes label selectors: parse `a=b,c!=d,e in (f,g),h notin (i),j,!k` and match label maps.

Pure functions, shared by every backend that has to filter by labels itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from certpilot.store.errors import Invalid

Operator = Literal["=", "!=", "in", "notin", "exists", "!exists"]

_NAME = r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_KEY = rf"(?:[a-z0-9](?:[-a-z0-9.]{{0,251}}[a-z0-9])?/)?{_NAME}"
_VALUE = rf"(?:{_NAME})?"

_NOT_EXISTS = re.compile(rf"!\s*({_KEY})")
_EXISTS = re.compile(rf"({_KEY})")
_EQUALITY = re.compile(rf"({_KEY})\s*(==|=|!=)\s*({_VALUE})")
_SET = re.compile(rf"({_KEY})\s+(in|notin)\s*\(([^()]*)\)")
_VALUE_ONLY = re.compile(_VALUE)


class InvalidSelector(Invalid):
    """A label selector that is not Kubernetes syntax."""


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: Operator
    values: frozenset[str] = frozenset()


LabelSelector = tuple[Requirement, ...]


def parse_label_selector(text: str | None) -> LabelSelector:
    """The requirements of a selector; an empty or None selector has none and matches everything."""
    if text is None or not text.strip():
        return ()
    return tuple(_parse_requirement(term, text) for term in _split_terms(text))


def labels_match(selector: LabelSelector, labels: Mapping[str, str] | None) -> bool:
    """Whether labels satisfy every requirement (Kubernetes' AND of requirements)."""
    present = labels or {}
    return all(requirement_matches(r, present) for r in selector)


def requirement_matches(requirement: Requirement, labels: Mapping[str, str]) -> bool:
    value = labels.get(requirement.key)
    match requirement.operator:
        case "exists":
            return value is not None
        case "!exists":
            return value is None
        case "=" | "in":
            return value is not None and value in requirement.values
        case "!=" | "notin":
            return value is None or value not in requirement.values


def _split_terms(text: str) -> list[str]:
    """Split on commas outside parentheses: `a in (x,y),b` is two terms."""
    terms: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise InvalidSelector(f"label selector {text!r}: unbalanced ')'")
        if char == "," and depth == 0:
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise InvalidSelector(f"label selector {text!r}: unbalanced '('")
    terms.append("".join(current))
    return terms


def _parse_requirement(term: str, text: str) -> Requirement:
    term = term.strip()
    if match := _SET.fullmatch(term):
        key, operator, raw_values = match.groups()
        values = [v.strip() for v in raw_values.split(",")]
        bad = [v for v in values if not _VALUE_ONLY.fullmatch(v)]
        if bad or values == [""]:
            raise InvalidSelector(
                f"label selector {text!r}: {term!r} needs a list of valid label values, "
                "e.g. `env in (prod,staging)`"
            )
        return Requirement(key, "in" if operator == "in" else "notin", frozenset(values))
    if match := _EQUALITY.fullmatch(term):
        key, operator, value = match.groups()
        return Requirement(key, "!=" if operator == "!=" else "=", frozenset({value}))
    if match := _NOT_EXISTS.fullmatch(term):
        return Requirement(match.group(1), "!exists")
    if match := _EXISTS.fullmatch(term):
        return Requirement(match.group(1), "exists")
    raise InvalidSelector(
        f"label selector {text!r}: cannot parse {term!r}; use `key=value`, `key!=value`, "
        "`key in (a,b)`, `key notin (a,b)`, `key` or `!key`"
    )
