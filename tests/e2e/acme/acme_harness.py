"""Helpers shared by the tests in this folder (fixtures are in conftest.py)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from josepy.jwk import JWK

from certpilot.acme.client import AcmeClient
from certpilot.testing.peers.pebble import ChallTestSrv, PebbleServer

EAB_KEY_ID = "kid-1"


EAB_HMAC_KEY = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"


def start_pebble(
    directory: Path,
    challtestsrv: ChallTestSrv,
    http01_port: int,
    tlsalpn01_port: int,
    env: Mapping[str, str] | None = None,
    **options: object,
) -> PebbleServer:
    return PebbleServer(
        directory,
        dns_server=challtestsrv.dns_address,
        http_port=http01_port,
        tls_port=tlsalpn01_port,
        env=env,
        **options,  # type: ignore[arg-type]
    ).start()


def client_for(server: PebbleServer, key: JWK) -> AcmeClient:
    return AcmeClient(server.directory_url, key, verify=str(server.ca_bundle_path), timeout=10)
