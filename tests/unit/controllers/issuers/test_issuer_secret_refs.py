"""Which Secrets an issuer references (so a changed Secret re-checks the right issuers)."""

from __future__ import annotations

from certpilot.api.issuer import Issuer
from certpilot.controllers.issuers.secret_refs import (
    ISSUERS_BY_SECRET_NAME,
    referenced_secret_names,
    secrets_referenced_by,
)
from certpilot.runtime.informer import Indexed


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


def _issuer(spec: dict[str, object], rv: str = "1") -> Issuer:
    return Issuer.model_validate(
        {"metadata": {"name": "c", "namespace": "default", "uid": "u-1", "resourceVersion": rv}, "spec": spec}
    )


def test_self_signed_references_nothing() -> None:
    assert secrets_referenced_by(_issuer({"selfSigned": {}})) == []


def test_issuer_model_round_trip() -> None:
    assert secrets_referenced_by(_issuer({"ca": {"secretName": "ca-key-pair"}})) == ["ca-key-pair"]


def test_the_index_follows_a_changed_issuer_and_its_namespace() -> None:
    cache: Indexed[Issuer] = Indexed()
    cache.put(_issuer({"ca": {"secretName": "old-key"}}))
    assert [i.name for i in cache.by_field(ISSUERS_BY_SECRET_NAME, "old-key", "default")] == ["c"]
    assert cache.by_field(ISSUERS_BY_SECRET_NAME, "old-key", "elsewhere") == []
    cache.put(_issuer({"ca": {"secretName": "new-key"}}, rv="2"))
    assert cache.by_field(ISSUERS_BY_SECRET_NAME, "old-key", "default") == []
    assert [i.name for i in cache.by_field(ISSUERS_BY_SECRET_NAME, "new-key", "default")] == ["c"]
