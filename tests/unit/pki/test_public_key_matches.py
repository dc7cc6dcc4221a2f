"""public_key_matches compares key material: same key true; another key, or another type, false."""

from __future__ import annotations

import pytest

from certpilot.api.enums import PrivateKeyAlgorithm
from certpilot.pki.csr import build_csr
from certpilot.pki.keys import KeySpec, PrivateKey, generate_private_key, public_key_matches
from certpilot.testing.builders import certificate

SPECS = {
    "rsa": KeySpec(PrivateKeyAlgorithm.RSA, 2048),
    "ecdsa": KeySpec(PrivateKeyAlgorithm.ECDSA, 256),
    "ecdsa384": KeySpec(PrivateKeyAlgorithm.ECDSA, 384),
    "ed25519": KeySpec(PrivateKeyAlgorithm.ED25519, None),
}


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    return {name: generate_private_key(spec) for name, spec in SPECS.items()}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_csr_matches_its_own_key_only(name: str, keys: dict[str, PrivateKey]) -> None:
    csr = build_csr(certificate("x").spec, keys[name])
    assert public_key_matches(csr, keys[name])
    other_same_type = generate_private_key(SPECS[name])
    assert not public_key_matches(csr, other_same_type)
    for other in sorted(set(SPECS) - {name}):
        assert not public_key_matches(csr, keys[other])
