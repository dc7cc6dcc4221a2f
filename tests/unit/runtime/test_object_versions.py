"""Version keys: what names one stored state or one spec of an object, None for unstored ones."""

from __future__ import annotations

from certpilot.api.core import Secret
from certpilot.api.meta import ObjectMeta
from certpilot.runtime.object_versions import names_any_of, same_stored_version, spec_version, stored_version


def secret(
    uid: str | None = None, resource_version: str | None = None, generation: int | None = None
) -> Secret:
    return Secret(
        metadata=ObjectMeta(
            name="s", namespace="ns", uid=uid, resource_version=resource_version, generation=generation
        )
    )


def test_a_stored_object_is_named_by_uid_and_version() -> None:
    assert stored_version(secret("u1", "7")) == ("u1", "7")
    assert stored_version(secret("u1", "8")) != stored_version(secret("u1", "7"))
    assert spec_version(secret("u1", "7", generation=2)) == ("u1", 2)


def test_an_object_never_stored_has_no_key() -> None:
    assert stored_version(None) is None
    assert stored_version(secret()) is None
    assert stored_version(secret("u1")) is None
    assert spec_version(secret("u1", "7")) is None


def test_a_key_names_the_objects_it_was_computed_from_and_no_others() -> None:
    stored = stored_version(secret("u1", "7"))
    spec = spec_version(secret("u2", "7", generation=1))
    assert names_any_of(stored, {"u1"}) and not names_any_of(stored, {"u2"})
    key = (stored, ("tls.crt",), spec)
    assert names_any_of(key, {"u2"}) and names_any_of(key, {"u1", "u9"})
    assert not names_any_of(key, {"u9", "tls.crt"})  # a plain part is not a version
    assert not names_any_of(("u1", "7"), {"u1"})  # plain strings are not versions
    assert not names_any_of(b"digest", {"u1"})


def test_same_stored_version_is_one_state_of_one_object_or_both_absent() -> None:
    assert same_stored_version(secret("u1", "7"), secret("u1", "7"))
    assert same_stored_version(None, None)
    assert not same_stored_version(secret("u1", "7"), secret("u1", "8"))
    assert not same_stored_version(secret("u1", "7"), secret("u2", "7"))
    assert not same_stored_version(secret("u1", "7"), None)
    assert not same_stored_version(None, secret("u1", "7"))
    # Never stored: no version to compare, so never "the same" (a decision is taken again).
    assert not same_stored_version(secret(), secret())
