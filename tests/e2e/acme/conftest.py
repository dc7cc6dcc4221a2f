"""Real pebble servers (and pebble-challtestsrv as their DNS, answering 127.0.0.1 for every name)
for the ACME end-to-end tests. Each variant is started once per session, only if a test needs it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from josepy.jwk import JWKEC

from certpilot.acme.client import AcmeClient
from certpilot.acme.solvers.http01 import Http01Solver
from certpilot.acme.solvers.tlsalpn01 import TlsAlpn01Solver
from certpilot.testing.peers.pebble import ChallTestSrv, PebbleServer
from certpilot.testing.peers.ports import free_port
from tests.e2e.acme.acme_harness import EAB_HMAC_KEY, EAB_KEY_ID, client_for, start_pebble

pytestmark = pytest.mark.peers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if shutil.which("pebble") is None or shutil.which("pebble-challtestsrv") is None:
        skip = pytest.mark.skip(reason="pebble is not installed: apt-get install pebble")
        for item in items:
            if "e2e/acme" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def challtestsrv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChallTestSrv]:
    with ChallTestSrv(tmp_path_factory.mktemp("challtestsrv")) as server:
        yield server


@pytest.fixture(scope="session")
def http01_port() -> int:
    """The port every pebble of the session dials for HTTP-01 (free on 127.0.0.1 and ::1)."""
    return free_port(ipv6_too=True)


@pytest.fixture(scope="session")
def tlsalpn01_port() -> int:
    return free_port(ipv6_too=True)


@pytest.fixture(scope="session")
def pebble_factory(
    tmp_path_factory: pytest.TempPathFactory,
    challtestsrv: ChallTestSrv,
    http01_port: int,
    tlsalpn01_port: int,
) -> Iterator[Callable[..., PebbleServer]]:
    """`pebble_factory(label, **options)` starts a pebble variant; all are stopped at the end."""
    started: list[PebbleServer] = []

    def start(label: str, **options: Any) -> PebbleServer:
        directory = tmp_path_factory.mktemp(label)
        started.append(start_pebble(directory, challtestsrv, http01_port, tlsalpn01_port, **options))
        return started[-1]

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def pebble(pebble_factory: Callable[..., PebbleServer]) -> PebbleServer:
    """Deterministic pebble: no validation sleep, no nonce rejection, no authz reuse."""
    return pebble_factory("pebble")


@pytest.fixture(scope="session")
def eab_pebble(pebble_factory: Callable[..., PebbleServer]) -> PebbleServer:
    """pebble that requires an external account binding (key id EAB_KEY_ID)."""
    return pebble_factory("pebble-eab", eab_required=True, eab_keys={EAB_KEY_ID: EAB_HMAC_KEY})


@pytest.fixture(scope="session")
def alternate_roots_pebble(pebble_factory: Callable[..., PebbleServer]) -> PebbleServer:
    """pebble offering one alternate chain (a second root cross-signing the issuing intermediate)."""
    return pebble_factory("pebble-alt", env={"PEBBLE_ALTERNATE_ROOTS": "1"})


@pytest.fixture(scope="session")
def nonce_rejecting_pebble(pebble_factory: Callable[..., PebbleServer]) -> PebbleServer:
    """pebble rejecting 30% of good nonces with badNonce."""
    return pebble_factory("pebble-nonce", env={"PEBBLE_WFE_NONCEREJECT": "30"})


@pytest.fixture
def account_key() -> JWKEC:
    return JWKEC(key=ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture
def acme_client(pebble: PebbleServer, account_key: JWKEC) -> AcmeClient:
    """A client with a freshly registered account on the session's pebble."""
    client = client_for(pebble, account_key)
    client.register("ops@example.test")
    return client


@pytest.fixture
async def http01_solver(http01_port: int) -> AsyncIterator[Http01Solver]:
    """Listening on 127.0.0.1 and ::1, where pebble dials."""
    async with Http01Solver([f"127.0.0.1:{http01_port}", f"[::1]:{http01_port}"]) as solver:
        yield solver


@pytest.fixture
async def tlsalpn01_solver(tlsalpn01_port: int) -> AsyncIterator[TlsAlpn01Solver]:
    async with TlsAlpn01Solver([f"127.0.0.1:{tlsalpn01_port}", f"[::1]:{tlsalpn01_port}"]) as solver:
        yield solver
