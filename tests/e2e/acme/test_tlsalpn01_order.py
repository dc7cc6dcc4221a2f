"""TLS-ALPN-01 (RFC 8737) end to end: AcmeClient + TlsAlpn01Solver against a real pebble, and the
solver's handshake checked with Python's own TLS client."""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from pathlib import Path

import pytest
from acme import messages
from cryptography import x509

from certpilot.acme.client import AcmeClient
from certpilot.acme.solvers.tlsalpn01 import ACME_TLS_ALPN_PROTOCOL, ID_PE_ACME_IDENTIFIER, TlsAlpn01Solver
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.acme.acme_flows import Present, issue, new_csr, openssl_verify, subject_alt_names

pytestmark = pytest.mark.peers


def presenting(client: AcmeClient, solver: TlsAlpn01Solver) -> Present:
    def present(challenge: messages.ChallengeBody, authz: messages.AuthorizationResource) -> None:
        solver.present(authz.body.identifier.value, client.key_authorization(challenge))

    return present


async def test_tlsalpn01_order_issues_a_chain_that_verifies(
    acme_client: AcmeClient, tlsalpn01_solver: TlsAlpn01Solver, pebble: PebbleServer, tmp_path: Path
) -> None:
    name = "alpn.example.test"
    fullchain = await issue(
        acme_client, new_csr([name]), "tls-alpn-01", presenting(acme_client, tlsalpn01_solver)
    )

    assert subject_alt_names(fullchain) == [name]
    assert openssl_verify(tmp_path, fullchain, pebble.fetch_root(0)).returncode == 0


async def _handshake(port: int, server_name: str) -> tuple[x509.Certificate, str | None]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols([ACME_TLS_ALPN_PROTOCOL])
    _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname=server_name)
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True)
        return x509.load_der_x509_certificate(der), ssl_object.selected_alpn_protocol()
    finally:
        writer.close()


async def test_solver_serves_the_validation_certificate_only_for_presented_names(
    tlsalpn01_solver: TlsAlpn01Solver, tlsalpn01_port: int
) -> None:
    key_authorization = "token-abc.thumbprint-xyz"
    tlsalpn01_solver.present("Shown.Example.Test", key_authorization)

    certificate, protocol = await _handshake(tlsalpn01_port, "shown.example.test")

    assert protocol == ACME_TLS_ALPN_PROTOCOL
    extension = certificate.extensions.get_extension_for_oid(ID_PE_ACME_IDENTIFIER)
    assert isinstance(extension.value, x509.UnrecognizedExtension)
    assert extension.critical
    assert extension.value.value == b"\x04\x20" + hashlib.sha256(key_authorization.encode()).digest()
    sans = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["Shown.Example.Test"]

    with pytest.raises((ssl.SSLError, ConnectionError)):
        await _handshake(tlsalpn01_port, "other.example.test")
    tlsalpn01_solver.cleanup("shown.example.test")
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await _handshake(tlsalpn01_port, "shown.example.test")
