"""The pure pieces the Azure, Cloud DNS and Akamai providers share, and their missing-SDK error."""

from __future__ import annotations

import subprocess
import sys

import pytest

from certpilot.acme.solvers.dns01.errors import InvalidProviderConfig, ProviderSdkMissing
from certpilot.acme.solvers.dns01.names import relative_name
from certpilot.acme.solvers.dns01.provider import Dns01Request
from certpilot.acme.solvers.dns01.registry import ProviderSettings, provider_for
from certpilot.acme.solvers.dns01.vendor import (
    closest_zone,
    endpoint_override,
    txt_values_after,
    unquoted,
    vendor_text,
)
from certpilot.api.acme_issuer import ACMEChallengeSolverDNS01


def test_closest_zone_is_the_longest_holding_the_name() -> None:
    zones = ["example.test", "sub.example.test.", "other.test", "ample.test"]
    assert closest_zone("_acme-challenge.www.sub.example.test.", zones) == "sub.example.test."
    assert closest_zone("_acme-challenge.WWW.Example.Test", zones) == "example.test."
    assert closest_zone("example.test.", zones) == "example.test."
    assert closest_zone("www.elsewhere.test.", zones) is None


def test_relative_name_inside_the_zone_and_at_its_apex() -> None:
    assert relative_name("_acme-challenge.www.example.test.", "example.test") == "_acme-challenge.www"
    assert relative_name("example.test.", "example.test.") == "@"
    with pytest.raises(InvalidProviderConfig, match="not inside the zone"):
        relative_name("_acme-challenge.www.other.test.", "example.test")


def test_txt_values_after_adds_once_and_removes_only_the_value() -> None:
    assert txt_values_after(["a"], "b", add=True) == ["a", "b"]
    assert txt_values_after(["a", "b"], "b", add=True) == ["a", "b"]
    assert txt_values_after(["a", "b"], "a", add=False) == ["b"]
    assert txt_values_after(["b"], "a", add=False) == ["b"]


def test_unquoted_joins_chunks_and_keeps_bare_values() -> None:
    assert unquoted('"abc"') == "abc"
    assert unquoted('"ab" "c"') == "abc"
    assert unquoted("abc") == "abc"


def test_vendor_text_cuts_out_secrets_and_is_short() -> None:
    text = vendor_text("secret s3cr3t rejected " + "x" * 1000, ["s3cr3t", ""])
    assert "s3cr3t" not in text
    assert "[redacted]" in text
    assert len(text) <= 300


def test_endpoint_override_is_read_per_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTPILOT_DNS01_AKAMAI_ENDPOINT", "http://127.0.0.1:8080/")
    assert endpoint_override("akamai") == "http://127.0.0.1:8080"
    assert endpoint_override("clouddns") is None


@pytest.mark.parametrize(
    ("block", "module", "extra"),
    [
        (
            {
                "akamai": {
                    "serviceConsumerDomain": "akab.example",
                    "clientTokenSecretRef": {"name": "a", "key": "t"},
                    "clientSecretSecretRef": {"name": "a", "key": "s"},
                    "accessTokenSecretRef": {"name": "a", "key": "a"},
                }
            },
            "akamai.edgegrid",
            "akamai",
        ),
        (
            {"cloudDNS": {"project": "p", "serviceAccountSecretRef": {"name": "g", "key": "k"}}},
            "google.oauth2.service_account",
            "clouddns",
        ),
        (
            {
                "azureDNS": {
                    "subscriptionID": "s",
                    "resourceGroupName": "rg",
                    "clientID": "c",
                    "tenantID": "t",
                    "clientSecretSecretRef": {"name": "z", "key": "k"},
                }
            },
            "azure.mgmt.dns",
            "azuredns",
        ),
    ],
)
async def test_missing_sdk_is_a_typed_error_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch, block: dict[str, object], module: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` raise ImportError
    choice = provider_for(ACMEChallengeSolverDNS01.model_validate(block), ProviderSettings(webhook_urls={}))
    service_account_key = b'{"type": "service_account", "client_email": "e", "token_uri": "t"}'

    async def get_secret_value(name: str, key: str) -> bytes:
        return service_account_key if extra == "clouddns" else b"credential"

    request = Dns01Request(
        dns_name="www.example.test",
        fqdn="_acme-challenge.www.example.test.",
        zone="example.test.",
        value="v",
        config=choice.config,
        get_secret_value=get_secret_value,
    )
    with pytest.raises(ProviderSdkMissing, match=rf"pip install 'certpilot\[{extra}\]'"):
        await choice.provider.present(request)


def test_importing_the_registry_loads_no_vendor_sdk() -> None:
    code = (
        "import sys, certpilot.acme.solvers.dns01.registry, certpilot.controllers.acme.solving\n"
        "loaded = [m for m in ('azure', 'google.auth', 'akamai') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
