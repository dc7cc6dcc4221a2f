"""PKCS#12 and JKS keystores open in openssl and pyjks; additional output formats."""

from __future__ import annotations

import subprocess
from pathlib import Path

import jks
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, load_der_private_key

from certpilot.api.enums import (
    AdditionalOutputFormatType,
    PKCS12Profile,
    PrivateKeyAlgorithm,
    PrivateKeyEncoding,
)
from certpilot.pki.errors import KeystoreError
from certpilot.pki.keys import KeySpec, encode_private_key, generate_private_key, public_keys_equal
from certpilot.pki.keystores import jks_keystore, jks_truststore, pkcs12_keystore, pkcs12_truststore
from certpilot.pki.outputs import additional_outputs
from certpilot.pki.parse import encode_certificates
from tests.unit.pki.pki_material import Issued, issue, make_spec, openssl, write

PASSWORD = b"changeit-123"


@pytest.fixture(scope="module")
def leaf(intermediate_ca: Issued) -> Issued:
    key = generate_private_key(KeySpec(PrivateKeyAlgorithm.ECDSA, 256))
    return issue(make_spec(common_name="store.example.com"), key, issuer=intermediate_ca)


@pytest.mark.parametrize("profile", [None, *PKCS12Profile])
def test_pkcs12_keystore_opens_in_openssl(
    tmp_path: Path, profile: PKCS12Profile | None, leaf: Issued, intermediate_ca: Issued, root_ca: Issued
) -> None:
    data = pkcs12_keystore(leaf.key, [leaf.cert, intermediate_ca.cert], [root_ca.cert], PASSWORD, profile)
    path = write(tmp_path / "keystore.p12", data)
    text = openssl("pkcs12", "-in", path, "-passin", f"pass:{PASSWORD.decode()}", "-nodes", "-info")
    assert text.count("BEGIN CERTIFICATE") == 3
    assert "PRIVATE KEY" in text
    if profile in (PKCS12Profile.MODERN_2023, PKCS12Profile.MODERN_2026):
        assert "AES-256-CBC" in text and "sha256" in text
    else:
        assert "pbeWithSHA1And3-KeyTripleDES-CBC" in text


def test_pkcs12_wrong_password_fails(tmp_path: Path, leaf: Issued, root_ca: Issued) -> None:
    path = write(tmp_path / "k.p12", pkcs12_keystore(leaf.key, [leaf.cert], [root_ca.cert], PASSWORD))
    result = subprocess.run(
        ["openssl", "pkcs12", "-in", path, "-passin", "pass:wrong", "-nodes"], capture_output=True
    )
    assert result.returncode != 0


@pytest.mark.parametrize("profile", list(PKCS12Profile))
def test_pkcs12_truststore_holds_only_the_ca(tmp_path: Path, profile: PKCS12Profile, root_ca: Issued) -> None:
    path = write(tmp_path / "truststore.p12", pkcs12_truststore([root_ca.cert], PASSWORD, profile))
    text = openssl("pkcs12", "-in", path, "-passin", f"pass:{PASSWORD.decode()}", "-nodes")
    assert text.count("BEGIN CERTIFICATE") == 1
    assert "PRIVATE KEY" not in text
    assert "certpilot test root" in text


def test_jks_keystore_loads_back_with_chain_and_ca(
    leaf: Issued, intermediate_ca: Issued, root_ca: Issued
) -> None:
    data = jks_keystore(leaf.key, [leaf.cert, intermediate_ca.cert], [root_ca.cert], PASSWORD)
    store = jks.KeyStore.loads(data, PASSWORD.decode())
    entry = store.private_keys["certificate"]
    entry.decrypt(PASSWORD.decode())
    assert public_keys_equal(load_der_private_key(entry.pkey_pkcs8, None), leaf.key)  # type: ignore[arg-type]
    assert [cert for _, cert in entry.cert_chain] == [
        leaf.cert.public_bytes(Encoding.DER),
        intermediate_ca.cert.public_bytes(Encoding.DER),
    ]
    assert "ca" in store.certs


def test_jks_custom_alias_and_truststore(leaf: Issued, root_ca: Issued) -> None:
    store = jks.KeyStore.loads(
        jks_keystore(leaf.key, [leaf.cert], [], PASSWORD, alias="mykey"), PASSWORD.decode()
    )
    assert list(store.private_keys) == ["mykey"] and not store.certs
    trust = jks.KeyStore.loads(jks_truststore([root_ca.cert], PASSWORD), PASSWORD.decode())
    assert list(trust.certs) == ["ca"] and not trust.private_keys


def test_truststores_need_a_ca() -> None:
    with pytest.raises(KeystoreError, match="no CA"):
        pkcs12_truststore([], PASSWORD)
    with pytest.raises(KeystoreError, match="no CA"):
        jks_truststore([], PASSWORD)


@pytest.mark.parametrize(
    ("encoding", "format_name"), [(PrivateKeyEncoding.PKCS1, "EC"), (PrivateKeyEncoding.PKCS8, "PKCS8")]
)
def test_key_der_keeps_the_tls_key_encoding(
    tmp_path: Path, encoding: PrivateKeyEncoding, format_name: str, leaf: Issued
) -> None:
    key_pem = encode_private_key(leaf.key, encoding)
    chain_pem = encode_certificates([leaf.cert])
    outputs = additional_outputs(list(AdditionalOutputFormatType), key_pem, chain_pem)
    der = outputs["key.der"]
    assert public_keys_equal(load_der_private_key(der, None), leaf.key)  # type: ignore[arg-type]
    if encoding == PrivateKeyEncoding.PKCS1:
        openssl("ec", "-inform", "DER", "-in", write(tmp_path / "key.der", der), "-noout")
    else:
        openssl(
            "pkcs8",
            "-inform",
            "DER",
            "-nocrypt",
            "-in",
            write(tmp_path / "key.der", der),
            "-out",
            "/dev/null",
        )
    assert outputs["tls-combined.pem"] == key_pem + b"\n" + chain_pem


def test_pkcs12_modern2026_encrypts_key_and_certificates_with_pbes2_aes256_and_macs_with_sha256(
    tmp_path: Path, leaf: Issued, root_ca: Issued
) -> None:
    data = pkcs12_keystore(leaf.key, [leaf.cert], [root_ca.cert], PASSWORD, PKCS12Profile.MODERN_2026)
    path = write(tmp_path / "keystore.p12", data)
    info = openssl("pkcs12", "-in", path, "-passin", f"pass:{PASSWORD.decode()}", "-info", "-nokeys")
    pbes2 = "PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256"
    assert "MAC: sha256, Iteration 2048" in info
    assert f"PKCS7 Encrypted data: {pbes2}" in info
    assert f"Shrouded Keybag: {pbes2}" in info
    assert "KeyTripleDES" not in info and "RC2" not in info
    assert info.count("BEGIN CERTIFICATE") == 2 and "PRIVATE KEY" not in info
