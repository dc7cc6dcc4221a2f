"""A refusal stays one line per problem and never carries terminal control characters, whatever
keys the manifest spells (found by tests/fuzz: an unknown key holding a newline or ESC split the
error over lines and could rewrite the user's terminal)."""

from __future__ import annotations

import pytest

from certpilot.api.loader import ManifestError, load_manifests


def test_an_unknown_key_with_control_characters_is_shown_escaped() -> None:
    text = (
        "apiVersion: cert-manager.io/v1\nkind: Issuer\nmetadata: {name: x}\n"
        'spec:\n  ca: {secretName: s, "a\\nb\\eX": 1}\n'
    )
    with pytest.raises(ManifestError) as caught:
        load_manifests(text, "issuer.yaml")
    message = str(caught.value)
    assert message.endswith("spec.ca.a\\nb\\u001bX: unknown field")
    assert "\n" not in message and "\x1b" not in message
