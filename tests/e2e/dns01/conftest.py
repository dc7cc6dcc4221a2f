"""Real BIND 9 servers (named on 127.0.0.1, a free high port) for the DNS-01 end-to-end tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from certpilot.acme.solvers.dns01.provider import Dns01Request, GetSecretValue
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderRFC2136
from certpilot.api.meta import ApiModel, SecretKeySelector
from certpilot.testing.peers.bind import TSIG_ALGORITHMS, BindServer, bind_server

# cert-manager's tsigAlgorithm names for BIND's key algorithms.
CERT_MANAGER_ALGORITHM = {
    "hmac-md5": "HMACMD5",
    "hmac-sha1": "HMACSHA1",
    "hmac-sha256": "HMACSHA256",
    "hmac-sha512": "HMACSHA512",
}
ZONES = ("example.test", "other.test")
RECORDS = {"example.test": ["_acme-challenge.alias CNAME _acme-challenge.alias.other.test."]}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if shutil.which("named") is None:
        skip = pytest.mark.skip(
            reason="BIND 9 (named) is not installed: apt-get install bind9 bind9-dnsutils"
        )
        for item in items:
            if {"bind", "bind_with_algorithm"} & set(getattr(item, "fixturenames", ())):
                item.add_marker(skip)


def start_bind(directory: Path, algorithm: str) -> Iterator[BindServer]:
    server = bind_server(directory, zones=ZONES, records=RECORDS, tsig_algorithm=algorithm).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def bind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BindServer]:
    """One named (hmac-sha256 key) for a test module: zones example.test and other.test."""
    yield from start_bind(tmp_path_factory.mktemp("bind"), "hmac-sha256")


@pytest.fixture(scope="module", params=TSIG_ALGORITHMS)
def bind_with_algorithm(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BindServer]:
    """A named whose update key uses each TSIG algorithm in turn."""
    yield from start_bind(tmp_path_factory.mktemp(f"bind-{request.param}"), request.param)


def secrets_of(server: BindServer) -> GetSecretValue:
    """get_secret_value over two in-memory Secrets: `tsig` (the right secret) and `other` (another key's)."""
    store = {("tsig", "secret"): server.tsig_secret, ("other", "secret"): server.unauthorised_secret}

    async def get_secret_value(name: str, key: str) -> bytes:
        return store[(name, key)].encode()

    return get_secret_value


def rfc2136_config(server: BindServer, **overrides: object) -> ACMEIssuerDNS01ProviderRFC2136:
    fields: dict[str, object] = {
        "nameserver": server.address,
        "tsig_key_name": server.tsig_key_name,
        "tsig_algorithm": CERT_MANAGER_ALGORITHM[server.tsig_algorithm],
        "tsig_secret_secret_ref": SecretKeySelector(name="tsig", key="secret"),
    }
    fields.update(overrides)
    return ACMEIssuerDNS01ProviderRFC2136.model_validate(fields)


def dns01_request(
    server: BindServer, fqdn: str, value: str, config: ApiModel, zone: str | None = None
) -> Dns01Request:
    return Dns01Request(
        dns_name=fqdn.removeprefix("_acme-challenge.").rstrip("."),
        fqdn=fqdn,
        zone=zone,
        value=value,
        config=config,
        get_secret_value=secrets_of(server),
    )


@pytest.fixture
def make_config() -> Callable[..., ACMEIssuerDNS01ProviderRFC2136]:
    """rfc2136 config for a server, signed with its update key unless overridden."""
    return rfc2136_config


@pytest.fixture
def make_request() -> Callable[..., Dns01Request]:
    """A Dns01Request(server, fqdn, value, config, zone=None) reading the server's secrets."""
    return dns01_request
