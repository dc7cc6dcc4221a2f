"""The label selector parser and matcher (pure; every backend that filters itself uses it)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certpilot.store.errors import Invalid
from certpilot.store.selectors import Requirement, labels_match, parse_label_selector


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=b", (Requirement("a", "=", frozenset({"b"})),)),
        ("a==b", (Requirement("a", "=", frozenset({"b"})),)),
        ("a = b", (Requirement("a", "=", frozenset({"b"})),)),
        ("a!=b", (Requirement("a", "!=", frozenset({"b"})),)),
        ("a=", (Requirement("a", "=", frozenset({""})),)),
        ("a in (x, y)", (Requirement("a", "in", frozenset({"x", "y"})),)),
        ("a notin (x)", (Requirement("a", "notin", frozenset({"x"})),)),
        ("a", (Requirement("a", "exists"),)),
        ("!a", (Requirement("a", "!exists"),)),
        (
            "example.com/tier in (web),!legacy,env=prod",
            (
                Requirement("example.com/tier", "in", frozenset({"web"})),
                Requirement("legacy", "!exists"),
                Requirement("env", "=", frozenset({"prod"})),
            ),
        ),
    ],
)
def test_parses_kubernetes_syntax(text: str, expected: tuple[Requirement, ...]) -> None:
    assert parse_label_selector(text) == expected


@pytest.mark.parametrize("text", [None, "", "  "])
def test_an_empty_selector_matches_everything(text: str | None) -> None:
    assert parse_label_selector(text) == ()
    assert labels_match(parse_label_selector(text), {"any": "thing"})
    assert labels_match(parse_label_selector(text), None)


@pytest.mark.parametrize(
    "text", ["a in x", "a in ()", "a in (x", "a)", "=b", "a=b=c", "a,,b", "-a=b", "a in (b c)", "a=(b)"]
)
def test_rejects_what_kubernetes_rejects_with_an_invalid_error(text: str) -> None:
    with pytest.raises(Invalid, match="label selector"):
        parse_label_selector(text)


@pytest.mark.parametrize(
    ("text", "labels", "matches"),
    [
        ("a!=b", {}, True),
        ("a!=b", {"a": "c"}, True),
        ("a!=b", {"a": "b"}, False),
        ("a notin (b)", {}, True),
        ("a notin (b)", {"a": "b"}, False),
        ("a in (b,c)", {}, False),
        ("a in (b,c)", {"a": "c"}, True),
        ("a", {"a": ""}, True),
        ("!a", {"a": ""}, False),
        ("a=b,c", {"a": "b"}, False),
        ("a=b,c", {"a": "b", "c": "x"}, True),
    ],
)
def test_matches_as_kubernetes_does(text: str, labels: dict[str, str], matches: bool) -> None:
    assert labels_match(parse_label_selector(text), labels) is matches


label_keys = st.sampled_from(["a", "b", "app.kubernetes.io/name"])
label_values = st.sampled_from(["x", "y", "z"])


@given(st.dictionaries(label_keys, label_values), label_keys, label_values)
def test_equality_and_inequality_are_complements(labels: dict[str, str], key: str, value: str) -> None:
    equal = labels_match(parse_label_selector(f"{key}={value}"), labels)
    unequal = labels_match(parse_label_selector(f"{key}!={value}"), labels)
    assert equal == (labels.get(key) == value)
    assert equal != unequal
