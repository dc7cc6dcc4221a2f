"""Real OpenBao dev servers (plain HTTP and TLS) for the Vault issuer end-to-end tests."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from certpilot.testing.peers.openbao import OpenBaoNotInstalled, OpenBaoServer, PKIMount, bao_binary

pytestmark = pytest.mark.peers

_mount_numbers = itertools.count()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    try:
        bao_binary()
    except OpenBaoNotInstalled as e:
        for item in items:
            if "e2e/vault" in str(item.fspath):
                item.add_marker(pytest.mark.skip(reason=str(e)))


@pytest.fixture(autouse=True)
def no_ambient_vault_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Nothing in the environment or in ~ may authenticate certpilot by accident."""
    for name in list(os.environ):
        if name.startswith(("VAULT_", "BAO_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))


@pytest.fixture(scope="session")
def openbao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenBaoServer]:
    with OpenBaoServer(tmp_path_factory.mktemp("openbao")) as server:
        yield server


@pytest.fixture(scope="session")
def openbao_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenBaoServer]:
    with OpenBaoServer(tmp_path_factory.mktemp("openbao-tls"), tls=True) as server:
        yield server


def fresh_pki(server: OpenBaoServer) -> PKIMount:
    """A PKI mount (and policy of the same name) no other test uses."""
    mount = f"pki{next(_mount_numbers)}"
    return server.setup_pki(mount=mount, policy=mount)


@pytest.fixture
def pki(openbao: OpenBaoServer) -> PKIMount:
    return fresh_pki(openbao)


@pytest.fixture
def pki_tls(openbao_tls: OpenBaoServer) -> PKIMount:
    return fresh_pki(openbao_tls)
