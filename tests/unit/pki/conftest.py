"""PKI fixtures: slow keys generated once per session, and a root -> intermediate CA chain."""

from __future__ import annotations

from datetime import timedelta

import pytest

from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.pki.keys import KeySpec, PrivateKey, generate_private_key
from tests.unit.pki.pki_material import Issued, issue, make_spec


@pytest.fixture(scope="session")
def rsa_4096() -> PrivateKey:
    return generate_private_key(KeySpec(PrivateKeyAlgorithm.RSA, 4096))


@pytest.fixture(scope="session")
def root_ca() -> Issued:
    key = generate_private_key(KeySpec(PrivateKeyAlgorithm.ECDSA, 384))
    return issue(make_spec(common_name="certpilot test root", is_ca=True), key, duration=timedelta(days=3650))


@pytest.fixture(scope="session")
def intermediate_ca(root_ca: Issued) -> Issued:
    key = generate_private_key(KeySpec(PrivateKeyAlgorithm.RSA, 2048))
    return issue(
        make_spec(common_name="certpilot test intermediate", is_ca=True),
        key,
        issuer=root_ca,
        duration=timedelta(days=1825),
    )
