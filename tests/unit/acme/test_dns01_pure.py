"""DNS-01 decisions without a network: names, nameserver addresses, TSIG names, errors, payloads, registry."""

from __future__ import annotations

import dns.rcode
import dns.tsig
import pytest

from certpilot.acme.solvers.dns01.errors import (
    DnsUpdateNotAuthorized,
    DnsUpdateRefused,
    InvalidProviderConfig,
    ProviderNotSupported,
)
from certpilot.acme.solvers.dns01.names import NameserverAddress, challenge_record_name, parse_nameserver
from certpilot.acme.solvers.dns01.propagation import port_for_authoritative_server
from certpilot.acme.solvers.dns01.provider import Dns01Request
from certpilot.acme.solvers.dns01.registry import ProviderSettings, provider_for
from certpilot.acme.solvers.dns01.rfc2136 import RFC2136Provider, rejection_error, tsig_algorithm_named
from certpilot.acme.solvers.dns01.webhook import (
    SolverAnswer,
    WebhookProvider,
    challenge_payload,
    error_message_of,
    failure_of,
    solver_path,
    without_credentials,
)
from certpilot.api.acme_issuer import (
    ACMEChallengeSolverDNS01,
    ACMEIssuerDNS01ProviderCloudflare,
    ACMEIssuerDNS01ProviderRFC2136,
    ACMEIssuerDNS01ProviderWebhook,
)
from certpilot.api.meta import SecretKeySelector


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("10.0.0.1", "10.0.0.1", 53),
        ("10.0.0.1:5353", "10.0.0.1", 5353),
        ("ns.example.com:54", "ns.example.com", 54),
        ("[2001:db8::1]:5353", "2001:db8::1", 5353),
        ("[2001:db8::1]", "2001:db8::1", 53),
        ("2001:db8::1", "2001:db8::1", 53),
    ],
)
def test_parse_nameserver(text: str, host: str, port: int) -> None:
    assert parse_nameserver(text) == NameserverAddress(host, port)


@pytest.mark.parametrize("text", ["", "10.0.0.1:0", "10.0.0.1:x", "[::1]x", "10.0.0.1:70000"])
def test_parse_nameserver_refuses_bad_addresses(text: str) -> None:
    with pytest.raises(InvalidProviderConfig):
        parse_nameserver(text)


def test_nameserver_address_prints_v6_in_brackets() -> None:
    assert str(NameserverAddress("::1", 53)) == "[::1]:53"


@pytest.mark.parametrize(
    ("name", "record"),
    [("example.com", "_acme-challenge.example.com."), ("*.Example.com", "_acme-challenge.example.com.")],
)
def test_challenge_record_name(name: str, record: str) -> None:
    assert challenge_record_name(name) == record


@pytest.mark.parametrize(
    ("name", "algorithm"),
    [
        (None, dns.tsig.HMAC_MD5),
        ("HMACMD5", dns.tsig.HMAC_MD5),
        ("HMACSHA1", dns.tsig.HMAC_SHA1),
        ("HMACSHA256", dns.tsig.HMAC_SHA256),
        ("HMACSHA512", dns.tsig.HMAC_SHA512),
        ("hmac-sha256.", dns.tsig.HMAC_SHA256),
    ],
)
def test_tsig_algorithm_named(name: str | None, algorithm: object) -> None:
    assert tsig_algorithm_named(name) == algorithm


def test_unknown_tsig_algorithm_is_a_config_error_naming_the_choices() -> None:
    with pytest.raises(InvalidProviderConfig, match="HMACSHA256"):
        tsig_algorithm_named("HMACSHA384")


def test_port_for_authoritative_server_reuses_a_recursive_servers_port() -> None:
    recursive = [NameserverAddress("127.0.0.1", 5353)]
    assert port_for_authoritative_server("127.0.0.1", recursive) == 5353
    assert port_for_authoritative_server("192.0.2.1", recursive) == 53


def test_rejection_errors_name_the_cause_and_never_the_secret() -> None:
    server = NameserverAddress("127.0.0.1", 53)
    key = dns.tsig.Key("acme-key.", "c2VjcmV0LXNlY3JldA==", dns.tsig.HMAC_SHA256)
    refused = rejection_error(
        dns.rcode.REFUSED, server, "example.test.", "_acme-challenge.example.test.", key
    )
    assert isinstance(refused, DnsUpdateRefused)
    assert "acme-key" in str(refused)
    assert "c2VjcmV0" not in str(refused)
    notauth = rejection_error(dns.rcode.NOTAUTH, server, "example.test.", "x.example.test.", None)
    assert isinstance(notauth, DnsUpdateNotAuthorized)
    assert "unsigned" in str(notauth)
    assert rejection_error(dns.rcode.NOERROR, server, "z.", "x.z.", None) is None


async def no_secret(name: str, key: str) -> bytes:
    raise AssertionError("not read")


def request(config: object, value: str = "txt-value-secret") -> Dns01Request:
    return Dns01Request(
        dns_name="*.example.test",
        fqdn="_acme-challenge.example.test.",
        zone="example.test.",
        value=value,
        config=config,  # type: ignore[arg-type]
        get_secret_value=no_secret,
        resource_namespace="ns",
    )


def test_request_repr_hides_the_value() -> None:
    assert "txt-value-secret" not in repr(request(ACMEIssuerDNS01ProviderRFC2136(nameserver="1.2.3.4")))


def test_challenge_payload_is_what_cert_manager_puts_on_the_wire() -> None:
    config = ACMEIssuerDNS01ProviderWebhook(
        group_name="acme.example.com", solver_name="mydns", config={"a": 1}
    )
    # cert-manager's REST client does not register ChallengePayload in its scheme: no apiVersion/kind.
    assert challenge_payload(request(config), config, "Present") == {
        "request": {
            "uid": "",
            "action": "Present",
            "type": "dns-01",
            "dnsName": "*.example.test",
            "key": "txt-value-secret",
            "resourceNamespace": "ns",
            "resolvedFQDN": "_acme-challenge.example.test.",
            "resolvedZone": "example.test.",
            "allowAmbientCredentials": False,
            "config": {"a": 1},
        }
    }
    assert solver_path(config) == "/apis/acme.example.com/v1alpha1/mydns"


def test_challenge_payload_leaves_out_empty_omitempty_fields() -> None:
    config = ACMEIssuerDNS01ProviderWebhook(group_name="g.example.com", solver_name="s")
    sent = challenge_payload(request(config), config, "CleanUp")["request"]
    assert "config" not in sent
    assert sent["action"] == "CleanUp"


@pytest.mark.parametrize(
    ("group", "solver", "field"),
    [
        ("../../api/v1/namespaces/x/secrets", "s", "groupName"),
        ("Acme.Example.com", "s", "groupName"),
        ("acme.example.com", "a/b", "solverName"),
        ("acme.example.com", "..", "solverName"),
        ("acme.example.com", "", "solverName"),
    ],
)
def test_solver_path_refuses_names_leaving_the_solvers_api(group: str, solver: str, field: str) -> None:
    config = ACMEIssuerDNS01ProviderWebhook(group_name=group, solver_name=solver)
    with pytest.raises(InvalidProviderConfig, match=f"webhook.{field}"):
        solver_path(config)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (SolverAnswer(403, b'{"kind":"Status","message":"forbidden: User x cannot create"}'), "forbidden"),
        (SolverAnswer(503, b"service unavailable"), "service unavailable"),
        (SolverAnswer(500, b'{"kind":"Other"}'), '{"kind":"Other"}'),
    ],
)
def test_error_message_of(answer: SolverAnswer, message: str) -> None:
    assert error_message_of(answer).startswith(message)


@pytest.mark.parametrize(
    ("body", "failure"),
    [
        ({"response": {"uid": "u", "success": True}}, None),
        ({"response": {"success": False, "status": {"message": "zone locked"}}}, "zone locked"),
        ({"response": {"success": False}}, "success=false without a message"),
        ({"kind": "ChallengePayload"}, "no `response` object"),
        ([], "no `response` object"),
    ],
)
def test_failure_of(body: object, failure: str | None) -> None:
    reason = failure_of(body)
    assert reason == failure if failure is None else failure in (reason or "")


def test_without_credentials() -> None:
    assert without_credentials("https://u:p@h/x") == "https://h/x"


def test_registry_serves_rfc2136_and_webhook() -> None:
    settings = ProviderSettings(webhook_urls={})
    rfc = ACMEChallengeSolverDNS01(rfc2136=ACMEIssuerDNS01ProviderRFC2136(nameserver="1.2.3.4"))
    choice = provider_for(rfc, settings)
    assert isinstance(choice.provider, RFC2136Provider)
    assert choice.config is rfc.rfc2136
    hook = ACMEChallengeSolverDNS01(webhook=ACMEIssuerDNS01ProviderWebhook(group_name="g", solver_name="s"))
    assert isinstance(provider_for(hook, settings).provider, WebhookProvider)


async def test_registry_hands_the_webhook_provider_the_runtimes_endpoints() -> None:
    """A recording SolverEndpoints stands in for the API server here: the e2e tests cover the real one."""
    sent: list[bytes] = []

    class Recording:
        def describe(self, config: ACMEIssuerDNS01ProviderWebhook) -> str:
            return "recording"

        async def post(self, config: ACMEIssuerDNS01ProviderWebhook, body: bytes) -> SolverAnswer:
            sent.append(body)
            return SolverAnswer(201, b'{"response":{"success":true}}')

    config = ACMEIssuerDNS01ProviderWebhook(group_name="g", solver_name="s")
    settings = ProviderSettings(webhook_urls={}, webhook_endpoints=Recording())
    choice = provider_for(ACMEChallengeSolverDNS01(webhook=config), settings)
    await choice.provider.present(request(config))
    assert len(sent) == 1


def test_registry_serves_cloudflare_from_its_block() -> None:
    dns01 = ACMEChallengeSolverDNS01(
        cloudflare=ACMEIssuerDNS01ProviderCloudflare(
            api_token_secret_ref=SecretKeySelector(name="cf", key="t")
        )
    )
    choice = provider_for(dns01, ProviderSettings(webhook_urls={}))
    assert type(choice.provider).__name__ == "CloudflareProvider"
    assert choice.config is dns01.cloudflare


def test_registry_needs_exactly_one_provider() -> None:
    with pytest.raises(InvalidProviderConfig, match="exactly one provider; found: none"):
        provider_for(ACMEChallengeSolverDNS01(), ProviderSettings(webhook_urls={}))


def test_config_errors_are_permanent_and_dns_failures_are_retried() -> None:
    from certpilot.acme.solvers.dns01.errors import DnsServerUnreachable
    from certpilot.runtime.errors import PermanentError, ReconcileError, RetryWithBackoff

    assert isinstance(ProviderNotSupported("x"), PermanentError)
    assert isinstance(InvalidProviderConfig("x"), PermanentError)
    unreachable = DnsServerUnreachable("x")
    assert isinstance(unreachable, ReconcileError)
    assert not isinstance(unreachable, PermanentError | RetryWithBackoff)
