"""Secret data helpers, and that secret material never shows in repr or str."""

from __future__ import annotations

from certpilot.api.acme import Challenge
from certpilot.api.certificate import PKCS12Keystore
from certpilot.api.core import Secret
from certpilot.api.loader import load_manifests
from tests.unit.api.api_manifests import manifest_text


def test_set_and_get_data_are_base64_in_json() -> None:
    secret = Secret.model_validate({"metadata": {"name": "s"}, "stringData": {"note": "plain"}})
    secret.set_data("tls.key", b"\x00private")
    assert secret.to_dict()["data"] == {"tls.key": "AHByaXZhdGU="}
    assert secret.get_data("tls.key") == b"\x00private"
    assert secret.get_data("note") == b"plain"
    assert secret.get_data("missing") is None
    assert (secret.api_version, secret.kind) == ("v1", "Secret")


def test_repr_and_str_hide_values() -> None:
    secret = Secret.model_validate(
        {
            "metadata": {"name": "s"},
            "data": {"tls.key": "c2VjcmV0LWJ5dGVz"},
            "stringData": {"token": "hunter2"},
        }
    )
    for text in (repr(secret), str(secret)):
        assert "c2VjcmV0LWJ5dGVz" not in text
        assert "hunter2" not in text
        assert "tls.key" in text


def test_other_secret_fields_are_hidden_from_repr() -> None:
    keystore = PKCS12Keystore(create=True, password="hunter2")
    assert "hunter2" not in repr(keystore)
    challenge = load_manifests(manifest_text("challenge.yaml"), "c.yaml")[0]
    assert isinstance(challenge, Challenge)
    assert "not-a-real-key-authorization" not in repr(challenge)
