"""The dns-persist-01 record: its name, its RFC 8659 issue-value, and the challenge's issuer names."""

from __future__ import annotations

import pytest
from acme import messages

from certpilot.acme.client_errors import AcmeError
from certpilot.acme.dns_persist import (
    is_dns_persist,
    issuer_domain_name,
    persist_record_name,
    persist_record_value,
)

ACCOUNT = "https://ca.example/acct/7"


def challenge(**fields: object) -> messages.ChallengeBody:
    return messages.ChallengeBody.from_json(
        {"type": "dns-persist-01", "url": "https://ca.example/c/1", "status": "pending", **fields}
    )


def test_the_record_names_the_ca_and_the_account_and_wildcard_policy() -> None:
    assert persist_record_name("web.example.com") == "_validation-persist.web.example.com"
    assert persist_record_name("*.example.com.") == "_validation-persist.example.com"
    assert persist_record_value("letsencrypt.org", ACCOUNT, False) == f"letsencrypt.org; accounturi={ACCOUNT}"
    assert persist_record_value("letsencrypt.org", ACCOUNT, True).endswith("; policy=wildcard")


def test_the_first_issuer_domain_name_is_used_and_malformed_lists_are_refused() -> None:
    offered = challenge(**{"issuer-domain-names": ["Pebble.LetsEncrypt.org.", "other.example"]})
    assert is_dns_persist(offered)
    assert issuer_domain_name(offered) == "pebble.letsencrypt.org"
    for bad in ([], ["x"] * 11, [""], None):
        with pytest.raises(AcmeError, match="issuer-domain-names"):
            issuer_domain_name(challenge(**{"issuer-domain-names": bad}))


def test_other_challenges_are_not_dns_persist() -> None:
    http = messages.ChallengeBody.from_json(
        {"type": "http-01", "url": "https://ca.example/c/2", "status": "pending", "token": "a" * 43}
    )
    assert not is_dns_persist(http)
