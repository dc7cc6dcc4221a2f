"""The bounded memo: remembered by key, least recently used out first, failures and None keys never kept."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from certpilot.runtime.bounded_memo import SWEEP_SHARE, BoundedMemo
from certpilot.runtime.object_versions import ObjectVersion, names_any_of


def test_a_remembered_key_is_not_computed_again() -> None:
    memo: BoundedMemo[int] = BoundedMemo(4)
    calls: list[int] = []

    def compute(value: int) -> int:
        calls.append(value)
        return value

    assert memo.get_or_compute("a", lambda: compute(1)) == 1
    assert memo.get_or_compute("a", lambda: compute(2)) == 1
    assert calls == [1]


def test_the_least_recently_used_entry_goes_first() -> None:
    memo: BoundedMemo[str] = BoundedMemo(2)
    memo.get_or_compute("a", lambda: "A")
    memo.get_or_compute("b", lambda: "B")
    memo.get_or_compute("a", lambda: "unused")  # a is now the most recently used
    memo.get_or_compute("c", lambda: "C")
    assert len(memo) == 2
    assert memo.get_or_compute("a", lambda: "again") == "A"
    assert memo.get_or_compute("b", lambda: "recomputed") == "recomputed"


def test_an_exception_is_not_remembered() -> None:
    memo: BoundedMemo[int] = BoundedMemo(2)

    def fail() -> int:
        raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"):
        memo.get_or_compute("k", fail)
    assert len(memo) == 0
    assert memo.get_or_compute("k", lambda: 3) == 3


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        BoundedMemo[int](0)


def test_a_none_key_always_computes_and_is_never_kept() -> None:
    memo: BoundedMemo[int] = BoundedMemo(2)
    results = iter([1, 2])
    assert memo.get_or_compute(None, lambda: next(results)) == 1
    assert memo.get_or_compute(None, lambda: next(results)) == 2
    memo.put(None, 3)
    assert None not in memo
    assert len(memo) == 0


def test_get_answers_only_what_is_remembered_and_computes_nothing() -> None:
    memo: BoundedMemo[int | None] = BoundedMemo(2)
    missing = object()
    assert memo.get("a", missing) is missing
    memo.put("a", None)
    assert memo.get("a", missing) is None  # a remembered None is an answer
    assert memo.get(None, missing) is missing
    memo.put("b", 2)
    assert memo.get("a", missing) is None  # a is now the most recently used
    memo.put("c", 3)
    assert memo.get("b", missing) is missing


def test_forgetting_an_object_drops_every_answer_naming_it_and_only_those() -> None:
    memo: BoundedMemo[str] = BoundedMemo(8)
    secret_v1, secret_v2 = ObjectVersion(("secret-uid", "1")), ObjectVersion(("secret-uid", "2"))
    spec = ObjectVersion(("cert-uid", 3))
    memo.put(secret_v1, "leaf v1")
    memo.put((secret_v2, ("tls.crt",)), "leaf v2")
    memo.put((secret_v2, spec), "in sync")
    memo.put((ObjectVersion(("other-uid", "9")), spec), "other")
    memo.forget_object("secret-uid")
    memo.forget_object("never-seen")  # nothing to forget is not an error; two notes make a sweep due
    assert len(memo) == 1
    assert memo.get((ObjectVersion(("other-uid", "9")), spec), None) == "other"
    memo.forget_object("cert-uid")
    assert len(memo) == 0


def test_forgotten_objects_are_swept_in_batches_and_none_is_left_once_all_are() -> None:
    memo: BoundedMemo[int] = BoundedMemo(200)
    uids = [f"uid-{i}" for i in range(128)]

    def key(uid: str) -> tuple[ObjectVersion, ...]:
        return (ObjectVersion((uid, "1")), ObjectVersion(("issuer", "1")))

    for i, uid in enumerate(uids):
        memo.put(key(uid), i)
    batch = len(uids) // SWEEP_SHARE  # deleted objects that make a sweep due
    for uid in uids[: batch - 1]:
        memo.forget_object(uid)
    assert len(memo) == len(uids), "not yet"
    memo.forget_object(uids[batch - 1])
    assert len(memo) == len(uids) - batch, "the whole batch's entries went at once"
    assert key(uids[0]) not in memo
    assert memo.get(key(uids[batch]), None) == batch
    for uid in uids[batch:]:
        memo.forget_object(uid)
    assert len(memo) == 0


def test_forget_drops_one_key_even_a_remembered_none() -> None:
    memo: BoundedMemo[int | None] = BoundedMemo(4)
    memo.put((ObjectVersion(("a", "1")),), None)
    memo.put("b", 2)
    memo.forget((ObjectVersion(("a", "1")),))
    memo.forget(None)
    memo.forget("never")
    assert (ObjectVersion(("a", "1")),) not in memo
    assert memo.get("b", None) == 2
    memo.forget_object("a")  # nothing left to forget is not an error


UIDS = ["a", "b", "c"]
VERSIONS = st.builds(ObjectVersion, st.tuples(st.sampled_from(UIDS), st.integers(1, 3)))
KEYS = st.one_of(
    VERSIONS,
    st.tuples(VERSIONS, st.sampled_from(["x", "y"])),
    st.tuples(VERSIONS, VERSIONS),
    st.sampled_from(["plain", "other"]),
)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("put"), KEYS, st.integers()),
        st.tuples(st.just("get"), KEYS, st.none()),
        st.tuples(st.just("forget"), KEYS, st.none()),
        st.tuples(st.just("forget_object"), st.sampled_from(UIDS), st.none()),
    ),
    max_size=60,
)


# Capacities below SWEEP_SHARE: every forget_object sweeps at once, as the model does.
@given(OPERATIONS, st.integers(1, SWEEP_SHARE - 1))
def test_behaves_as_an_lru_dict(operations: list[tuple[str, Hashable, int | None]], capacity: int) -> None:
    memo: BoundedMemo[int | None] = BoundedMemo(capacity)
    model: OrderedDict[Hashable, int | None] = OrderedDict()
    for operation, key, value in operations:
        if operation == "put":
            memo.put(key, value)
            model[key] = value
            model.move_to_end(key)
            while len(model) > capacity:
                model.popitem(last=False)
        elif operation == "get":
            assert memo.get(key, "missing") == model.get(key, "missing")
            if key in model:
                model.move_to_end(key)
        elif operation == "forget":
            memo.forget(key)
            model.pop(key, None)
        else:
            memo.forget_object(str(key))
            for named in [k for k in model if names_any_of(k, {str(key)})]:
                del model[named]
    assert [(k, memo.get(k, "missing")) for k in model] == list(model.items())
    assert len(memo) == len(model)
