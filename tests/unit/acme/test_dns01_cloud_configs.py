"""Configuration checks of the cloud DNS-01 providers that fail before any vendor is asked: a missing SDK,
contradictory or incomplete credentials, acme-dns account JSON. No peer is needed: these never reach one."""

from __future__ import annotations

import json
import sys

import pytest

from certpilot.acme.solvers.dns01.acmedns import AcmeDnsProvider
from certpilot.acme.solvers.dns01.cloudflare import CloudflareProvider
from certpilot.acme.solvers.dns01.errors import InvalidProviderConfig, ProviderSdkMissing
from certpilot.acme.solvers.dns01.names import parent_names, relative_name
from certpilot.acme.solvers.dns01.provider import Dns01Request
from certpilot.acme.solvers.dns01.registry import ProviderSettings, provider_for
from certpilot.acme.solvers.dns01.rest import endpoint_of
from certpilot.api.acme_issuer import (
    ACMEChallengeSolverDNS01,
    ACMEIssuerDNS01ProviderAcmeDNS,
    ACMEIssuerDNS01ProviderCloudflare,
    ACMEIssuerDNS01ProviderRoute53,
)
from certpilot.api.meta import ApiModel
from certpilot.runtime.errors import PermanentError

SECRETS = {("creds", "token"): b"t0ken", ("creds", "secret"): b"s3cret", ("creds", "id"): b"AKIAEXAMPLE"}


async def read_secret(name: str, key: str) -> bytes:
    return SECRETS[(name, key)]


def request(config: ApiModel, dns_name: str = "www.example.test", ambient: bool = False) -> Dns01Request:
    return Dns01Request(
        dns_name=dns_name,
        fqdn=f"_acme-challenge.{dns_name}.",
        zone="example.test.",
        value="v" * 43,
        config=config,
        get_secret_value=read_secret,
        allow_ambient_credentials=ambient,
    )


def route53(**fields: object) -> ACMEIssuerDNS01ProviderRoute53:
    return ACMEIssuerDNS01ProviderRoute53.model_validate({"region": "us-east-1", **fields})


async def test_a_missing_sdk_names_the_extra_and_import_still_works(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # what `import boto3` meets when it is not installed
    dns01 = ACMEChallengeSolverDNS01.model_validate({"route53": {"region": "us-east-1"}})
    choice = provider_for(dns01, ProviderSettings(webhook_urls={}))
    with pytest.raises(ProviderSdkMissing, match=r"pip install 'certpilot\[route53\]'") as caught:
        await choice.provider.present(request(choice.config))
    assert isinstance(caught.value, PermanentError)


@pytest.mark.parametrize(
    ("fields", "ambient", "message"),
    [
        (
            {"accessKeyID": "AKIA", "accessKeyIDSecretRef": {"name": "creds", "key": "id"}},
            False,
            "accessKeyID or accessKeyIDSecretRef, not both",
        ),
        ({"accessKeyID": "AKIA"}, False, "needs both"),
        ({"secretAccessKeySecretRef": {"name": "creds", "key": "secret"}}, False, "needs both"),
        ({}, False, "may not use ambient AWS credentials"),
        (
            {"auth": {"kubernetes": {"serviceAccountRef": {"name": "dns"}}}},
            True,
            "auth.kubernetes .* is not supported",
        ),
        (
            {
                "accessKeyIDSecretRef": {"name": "creds"},
                "secretAccessKeySecretRef": {"name": "creds", "key": "x"},
            },
            False,
            "accessKeyIDSecretRef must name the key",
        ),
    ],
)
async def test_route53_credentials_that_cannot_work_are_config_errors(
    fields: dict[str, object], ambient: bool, message: str
) -> None:
    from certpilot.acme.solvers.dns01.route53 import Route53Provider

    with pytest.raises(InvalidProviderConfig, match=message) as caught:
        await Route53Provider().present(request(route53(**fields), ambient=ambient))
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {
                "apiTokenSecretRef": {"name": "creds", "key": "token"},
                "apiKeySecretRef": {"name": "creds", "key": "secret"},
                "email": "a@example.test",
            },
            "not both",
        ),
        ({"apiKeySecretRef": {"name": "creds", "key": "secret"}}, "needs the account's email"),
        ({}, "set apiTokenSecretRef"),
    ],
)
async def test_cloudflare_credentials_that_cannot_work_are_config_errors(
    fields: dict[str, object], message: str
) -> None:
    config = ACMEIssuerDNS01ProviderCloudflare.model_validate(fields)
    with pytest.raises(InvalidProviderConfig, match=message):
        await CloudflareProvider().present(request(config))


@pytest.mark.parametrize(
    ("accounts", "message"),
    [
        (b"not json", "is not JSON"),
        (b"[]", "must hold a JSON object"),
        (json.dumps({"other.example.test": {}}).encode(), "no account for domain 'www.example.test'"),
        (
            json.dumps({"www.example.test": {"username": "u"}}).encode(),
            "needs subdomain, username and password",
        ),
    ],
)
async def test_acme_dns_accounts_that_cannot_work_are_config_errors(accounts: bytes, message: str) -> None:
    async def read_accounts(name: str, key: str) -> bytes:
        return accounts

    config = ACMEIssuerDNS01ProviderAcmeDNS.model_validate(
        {"host": "http://127.0.0.1:1", "accountSecretRef": {"name": "acme-dns", "key": "acmedns.json"}}
    )
    bad = Dns01Request(
        dns_name="www.example.test",
        fqdn="_acme-challenge.www.example.test.",
        zone=None,
        value="v" * 43,
        config=config,
        get_secret_value=read_accounts,
    )
    with pytest.raises(InvalidProviderConfig, match=message) as caught:
        await AcmeDnsProvider().present(bad)
    assert "Secret 'acme-dns' key 'acmedns.json'" in str(caught.value)


def test_endpoint_is_the_vendors_unless_the_test_variable_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CERTPILOT_DNS01_CLOUDFLARE_ENDPOINT", raising=False)
    assert (
        endpoint_of("cloudflare", "https://api.cloudflare.com/client/v4")
        == "https://api.cloudflare.com/client/v4"
    )
    monkeypatch.setenv("CERTPILOT_DNS01_CLOUDFLARE_ENDPOINT", "http://127.0.0.1:9")
    assert endpoint_of("cloudflare", "https://api.cloudflare.com/client/v4") == "http://127.0.0.1:9"


def test_names_relative_to_a_zone_and_candidate_zones() -> None:
    assert relative_name("_acme-challenge.www.example.test.", "example.test.") == "_acme-challenge.www"
    assert relative_name("example.test.", "example.test.") == "@"
    assert parent_names("_acme-challenge.a.example.test.") == [
        "_acme-challenge.a.example.test",
        "a.example.test",
        "example.test",
        "test",
    ]
