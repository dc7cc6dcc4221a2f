"""Which Secrets an issuer references (so a changed Secret re-checks the right issuers)."""

from __future__ import annotations

from certpilot.api.issuer import Issuer
from certpilot.controllers.issuers.secret_refs import SecretReferences, referenced_secret_names

REFS = SecretReferences()


def test_ca_secret_name() -> None:
    assert referenced_secret_names({"ca": {"secretName": "ca-key-pair"}}) == {"ca-key-pair"}


def test_acme_refs_in_nested_solvers() -> None:
    spec = {
        "acme": {
            "server": "https://acme.example/dir",
            "privateKeySecretRef": {"name": "account-key"},
            "externalAccountBinding": {"keyID": "kid", "keySecretRef": {"name": "eab", "key": "secret"}},
            "solvers": [
                {"dns01": {"rfc2136": {"nameserver": "127.0.0.1", "tsigSecretSecretRef": {"name": "tsig"}}}},
                {"http01": {"ingress": {"class": "nginx"}}},
            ],
        }
    }
    assert referenced_secret_names(spec) == {"account-key", "eab", "tsig"}


def test_venafi_credentials_ref() -> None:
    spec = {"venafi": {"zone": "z", "tpp": {"url": "https://tpp", "credentialsRef": {"name": "tpp-creds"}}}}
    assert referenced_secret_names(spec) == {"tpp-creds"}


def test_venafi_ngts_credentials_ref() -> None:
    spec = {
        "venafi": {"zone": "z", "ngts": {"tsgID": "1234567890", "credentialsRef": {"name": "ngts-creds"}}}
    }
    assert referenced_secret_names(spec) == {"ngts-creds"}


def test_self_signed_references_nothing() -> None:
    issuer = Issuer.model_validate(
        {"metadata": {"name": "s", "namespace": "default"}, "spec": {"selfSigned": {}}}
    )
    assert not REFS.issuer_uses_secret(issuer, "anything")


def test_issuer_model_round_trip() -> None:
    issuer = Issuer.model_validate(
        {"metadata": {"name": "c", "namespace": "default"}, "spec": {"ca": {"secretName": "ca-key-pair"}}}
    )
    assert REFS.issuer_uses_secret(issuer, "ca-key-pair")
    assert not REFS.issuer_uses_secret(issuer, "other")


def test_a_changed_issuer_is_read_afresh_though_its_references_are_remembered() -> None:
    def stored(secret_name: str, rv: str) -> Issuer:
        return Issuer.model_validate(
            {
                "metadata": {"name": "ca", "namespace": "default", "uid": "u-1", "resourceVersion": rv},
                "spec": {"ca": {"secretName": secret_name}},
            }
        )

    assert REFS.issuer_uses_secret(stored("old-key", "1"), "old-key")
    assert REFS.issuer_uses_secret(stored("old-key", "1"), "old-key")
    assert not REFS.issuer_uses_secret(stored("new-key", "2"), "old-key")
    assert REFS.issuer_uses_secret(stored("new-key", "2"), "new-key")
