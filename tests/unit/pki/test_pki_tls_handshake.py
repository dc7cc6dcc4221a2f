"""A real TLS handshake: openssl s_server serves an issued pair, s_client verifies it against the CA."""

from __future__ import annotations

import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from certpilot.api.enums import KeyUsage, PrivateKeyAlgorithm
from certpilot.pki.keys import encode_private_key, generate_private_key, key_spec_for
from certpilot.pki.parse import encode_certificates
from tests.unit.pki.pki_material import Issued, issue, key_of, make_spec, write


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_listener(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert server.poll() is None, "openssl s_server exited early"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail("openssl s_server did not start listening")


@pytest.mark.parametrize(
    "algorithm", [PrivateKeyAlgorithm.RSA, PrivateKeyAlgorithm.ECDSA, PrivateKeyAlgorithm.ED25519]
)
def test_issued_leaf_passes_a_verified_handshake(
    tmp_path: Path, algorithm: PrivateKeyAlgorithm, root_ca: Issued, intermediate_ca: Issued
) -> None:
    spec = make_spec(
        common_name="localhost",
        dns_names=["localhost"],
        ip_addresses=["127.0.0.1"],
        usages=[KeyUsage.DIGITAL_SIGNATURE, KeyUsage.KEY_ENCIPHERMENT, KeyUsage.SERVER_AUTH],
        private_key=key_of(algorithm),
    )
    # The handshake checks validity against the real clock.
    leaf = issue(
        spec,
        generate_private_key(key_spec_for(spec.private_key)),
        issuer=intermediate_ca,
        now=datetime.now(UTC) - timedelta(minutes=1),
    )
    cert = write(tmp_path / "tls.crt", encode_certificates([leaf.cert]))
    chain = write(tmp_path / "chain.crt", encode_certificates([intermediate_ca.cert]))
    key = write(tmp_path / "tls.key", encode_private_key(leaf.key))
    ca = write(tmp_path / "ca.crt", root_ca.pem)
    port = _free_port()
    server = subprocess.Popen(
        [
            "openssl",
            "s_server",
            "-accept",
            f"127.0.0.1:{port}",
            "-cert",
            cert,
            "-key",
            key,
            "-cert_chain",
            chain,
            "-quiet",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for_listener(port, server)
        client = subprocess.run(
            [
                "openssl",
                "s_client",
                "-connect",
                f"127.0.0.1:{port}",
                "-CAfile",
                ca,
                "-verify_return_error",
                "-verify_hostname",
                "localhost",
                "-brief",
            ],
            input=b"",
            capture_output=True,
            timeout=30,
        )
    finally:
        server.kill()
        server.wait(timeout=10)
    output = (client.stdout + client.stderr).decode(errors="replace")
    assert client.returncode == 0, output
    assert "Verification: OK" in output
    assert algorithm != PrivateKeyAlgorithm.ED25519 or "ED25519" in output.upper()
