"""DNS-01 through a cert-manager DNS webhook, standalone: pebble validates TXT records that the suite's
stand-in webhook (certpilot.testing.peers.dns_webhook) wrote to BIND when certpilot called it with
ChallengePayloads at the URL `--dns01-webhook-url` gives for its groupName."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from cryptography import x509

from certpilot.api.core import Secret
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.dns_webhook import DnsWebhookServer
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.acme_issuance.issuance_harness import (
    Daemon,
    acme_issuer,
    certificate,
    chain_of,
    openssl_verify,
)

StartDaemon = Callable[..., Awaitable[Daemon]]
GROUP = "acme.example.test"


async def test_a_wildcard_certificate_is_issued_through_a_dns_webhook(
    daemons: StartDaemon, pebble: PebbleServer, bind: BindServer, tmp_path: Path
) -> None:
    async with DnsWebhookServer(GROUP, bind) as hook:
        daemon = await daemons(dns01_webhook_urls={GROUP: hook.url})
        solver = {
            "dns01": {"webhook": {"groupName": GROUP, "solverName": hook.solver_name, "config": {"ttl": 5}}}
        }
        await daemon.create(acme_issuer(pebble, solvers=[solver]))
        await daemon.create(certificate("hooked", ["hooked.example.test", "*.hooked.example.test"]))
        await daemon.wait_ready("hooked")

        secret = await daemon.get(Secret, "hooked-tls")
        assert secret is not None
        chain = chain_of(secret)
        verified = openssl_verify(chain, pebble.fetch_root(), tmp_path)
        assert verified.returncode == 0, verified.stderr
        leaf = x509.load_pem_x509_certificates(chain)[0]
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert sorted(names.get_values_for_type(x509.DNSName)) == [
            "*.hooked.example.test",
            "hooked.example.test",
        ]

        requests = [call.body["request"] for call in hook.calls]
        presented = {r["key"] for r in requests if r["action"] == "Present"}
        cleaned = {r["key"] for r in requests if r["action"] == "CleanUp"}
        assert len(presented) == 2, "the apex and the wildcard each have a TXT value"
        assert cleaned == presented
        assert {r["resolvedFQDN"] for r in requests} == {"_acme-challenge.hooked.example.test."}
        assert {r["resourceNamespace"] for r in requests} == {"default"}
        assert bind.query_txt("_acme-challenge.hooked.example.test") == []
