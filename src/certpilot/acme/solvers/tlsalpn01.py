"""TLS-ALPN-01 (RFC 8737): a TLS listener that, for each presented identifier, answers a handshake
naming it (SNI) with a self-signed validation certificate carrying the SHA-256 of the key
authorization in the critical id-pe-acmeIdentifier extension, negotiating ALPN "acme-tls/1"."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import ipaddress
import os
import ssl
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from certpilot.acme.solvers.http01 import parse_listen_address

ACME_TLS_ALPN_PROTOCOL = "acme-tls/1"
ID_PE_ACME_IDENTIFIER = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.31")
DEFAULT_LISTEN = (":443",)
_DER_OCTET_STRING_SHA256 = b"\x04\x20"
VALIDATION_CERTIFICATE_LIFETIME = datetime.timedelta(days=7)


def sni_name_for(identifier: str) -> str:
    """The TLS server name a CA sends for `identifier`: the DNS name itself, or for an IP address
    its reverse-DNS name (RFC 8738 section 6)."""
    try:
        return ipaddress.ip_address(identifier).reverse_pointer
    except ValueError:
        return identifier.lower().rstrip(".")


def acme_identifier_extension(key_authorization: str) -> x509.UnrecognizedExtension:
    digest = hashlib.sha256(key_authorization.encode()).digest()
    return x509.UnrecognizedExtension(ID_PE_ACME_IDENTIFIER, _DER_OCTET_STRING_SHA256 + digest)


def validation_certificate(
    identifier: str, key_authorization: str, key: ec.EllipticCurvePrivateKey, now: datetime.datetime
) -> x509.Certificate:
    """The self-signed certificate RFC 8737 section 3 asks for, for a DNS name or an IP address."""
    try:
        san: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(identifier))
    except ValueError:
        san = x509.DNSName(identifier)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ACME TLS-ALPN-01 validation")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDATION_CERTIFICATE_LIFETIME)
        .add_extension(x509.SubjectAlternativeName([san]), critical=False)
        .add_extension(acme_identifier_extension(key_authorization), critical=True)
        .sign(key, hashes.SHA256())
    )


def _server_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols([ACME_TLS_ALPN_PROTOCOL])
    return context


def _context_serving(certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> ssl.SSLContext:
    context = _server_context()
    # ssl loads certificates only from files: write them to a private directory and remove it at once.
    with tempfile.TemporaryDirectory(prefix="certpilot-tlsalpn-") as directory:
        cert_path, key_path = Path(directory, "cert.pem"), Path(directory, "key.pem")
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as key_file:
            key_file.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        context.load_cert_chain(cert_path, key_path)
    return context


class TlsAlpn01Solver:
    """Serves validation certificates on every listen address (see Http01Solver for the syntax).
    A handshake for a name that is not presented is refused (unrecognized_name)."""

    def __init__(self, listen: Sequence[str] = DEFAULT_LISTEN) -> None:
        self._addresses = [parse_listen_address(address) for address in listen]
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._servers: list[asyncio.Server] = []

    def present(self, identifier: str, key_authorization: str) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        certificate = validation_certificate(identifier, key_authorization, key, now)
        self._contexts[sni_name_for(identifier)] = _context_serving(certificate, key)

    def cleanup(self, identifier: str) -> None:
        self._contexts.pop(sni_name_for(identifier), None)

    def is_presented(self, identifier: str) -> bool:
        return sni_name_for(identifier) in self._contexts

    def _choose_certificate(
        self, connection: ssl.SSLObject, server_name: str | None, _: ssl.SSLContext
    ) -> int | None:
        context = self._contexts.get((server_name or "").lower().rstrip("."))
        if context is None:
            return ssl.ALERT_DESCRIPTION_UNRECOGNIZED_NAME
        connection.context = context
        return None

    @staticmethod
    async def _close(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # The handshake is the whole validation; nothing is exchanged afterwards.
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, ssl.SSLError):
            return

    async def start(self) -> Self:
        listener_context = _server_context()
        listener_context.sni_callback = self._choose_certificate
        try:
            for host, port in self._addresses:
                server = await asyncio.start_server(self._close, host, port, ssl=listener_context)
                self._servers.append(server)
        except BaseException:
            await self.stop()
            raise
        return self

    async def stop(self) -> None:
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()
        for server in servers:
            await server.wait_closed()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
