"""DNS-01 issuance end to end through the azureDNS, cloudDNS and akamai providers: the daemon presents
through a stand-in vendor API (not the real service), the stand-in writes through to BIND, pebble
resolves the TXT records at BIND and validates them. An apex and a wildcard share one TXT name."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509

from certpilot.api.core import Secret
from certpilot.api.meta import ObjectMeta
from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.dns_standins.akamai import AkamaiStandin
from certpilot.testing.peers.dns_standins.azuredns import AzureDnsStandin
from certpilot.testing.peers.dns_standins.clouddns import CloudDnsStandin
from certpilot.testing.peers.dns_standins.peers import DnsProviderPeer
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.acme_issuance.issuance_harness import (
    NAMESPACE,
    Daemon,
    acme_issuer,
    certificate,
    chain_of,
    openssl_verify,
)

StartDaemon = Callable[..., Awaitable[Daemon]]


@pytest.fixture(params=["azureDNS", "cloudDNS", "akamai"])
def vendor(
    request: pytest.FixtureRequest, bind: BindServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AzureDnsStandin | CloudDnsStandin | AkamaiStandin]:
    """A started stand-in for the provider, its endpoint variables set."""
    standins = {
        "azureDNS": lambda: AzureDnsStandin(bind, tmp_path / "azure"),
        "cloudDNS": lambda: CloudDnsStandin(bind),
        "akamai": lambda: AkamaiStandin(bind),
    }
    standin = standins[request.param]().start()
    for name, value in standin.environment().items():
        monkeypatch.setenv(name, value)
    try:
        yield standin
    finally:
        standin.stop()


def credential_secrets(peer: DnsProviderPeer) -> list[Secret]:
    made = []
    for name, data in peer.secrets().items():
        secret = Secret(metadata=ObjectMeta(name=name, namespace=NAMESPACE))
        for key, value in data.items():
            secret.set_data(key, value)
        made.append(secret)
    return made


async def test_apex_and_wildcard_issued_through_the_vendor_api(
    daemons: StartDaemon,
    pebble: PebbleServer,
    bind: BindServer,
    vendor: AzureDnsStandin | CloudDnsStandin | AkamaiStandin,
    tmp_path: Path,
) -> None:
    name = vendor.name.lower()
    dns_names = [f"{name}.example.test", f"*.{name}.example.test"]
    daemon = await daemons()
    for secret in credential_secrets(vendor):
        await daemon.create(secret)
    solver = {"dns01": {vendor.name: vendor.solver_config()}}
    await daemon.create(acme_issuer(pebble, solvers=[solver]))
    await daemon.create(certificate(name, dns_names))
    await daemon.wait_ready(name)

    secret = await daemon.get(Secret, f"{name}-tls")
    assert secret is not None
    chain = chain_of(secret)
    verified = openssl_verify(chain, pebble.fetch_root(), tmp_path)
    assert verified.returncode == 0, verified.stderr
    leaf = x509.load_pem_x509_certificates(chain)[0]
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(sans.get_values_for_type(x509.DNSName)) == sorted(dns_names)
    # Both values were cleaned up at the vendor and so in DNS.
    fqdn = f"_acme-challenge.{name}.example.test."
    assert vendor.txt_values(fqdn) == set()
    assert bind.query_txt(fqdn) == []
