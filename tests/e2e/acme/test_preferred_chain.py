"""Preferred chain selection against pebble with PEBBLE_ALTERNATE_ROOTS=1: the default chain leads
to root 0, the alternate to root 1, picked by the issuer common name of the topmost certificate."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from josepy.jwk import JWKEC

from certpilot.acme.client import challenge_token
from certpilot.acme.client_chains import top_issuer_common_name
from certpilot.acme.solvers.http01 import Http01Solver
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.acme.acme_flows import issue, new_csr, openssl_verify
from tests.e2e.acme.acme_harness import client_for

pytestmark = pytest.mark.peers


def common_name(pem: str) -> str:
    value = x509.load_pem_x509_certificate(pem.encode()).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(value[0].value)


@pytest.mark.parametrize(("root_index", "preferred"), [(1, "alternate"), (0, "default"), (0, "unknown")])
async def test_preferred_chain_picks_the_chain_up_to_the_named_root(
    alternate_roots_pebble: PebbleServer,
    http01_solver: Http01Solver,
    tmp_path: Path,
    root_index: int,
    preferred: str,
) -> None:
    client = client_for(alternate_roots_pebble, JWKEC(key=ec.generate_private_key(ec.SECP256R1())))
    client.register(None)
    roots = [alternate_roots_pebble.fetch_root(0), alternate_roots_pebble.fetch_root(1)]
    preferred_name = {
        "alternate": common_name(roots[1]),
        "default": common_name(roots[0]),
        "unknown": "No Such Root CA",
    }[preferred]

    fullchain = await issue(
        client,
        new_csr([f"{preferred}.chain.example.test"]),
        "http-01",
        lambda challenge, _: http01_solver.present(
            challenge_token(challenge), client.key_authorization(challenge)
        ),
        preferred_chain=preferred_name,
    )

    assert top_issuer_common_name(fullchain) == common_name(roots[root_index])
    verified = openssl_verify(tmp_path, fullchain, roots[root_index])
    assert verified.returncode == 0, verified.stdout + verified.stderr
