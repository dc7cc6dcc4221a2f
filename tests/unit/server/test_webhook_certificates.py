"""The webhook's serving certificate: CA kept in a Secret (SQLite store), renewal at two thirds of
the lifetime and on a new CA, and the listening socket serving the new certificate at once."""

from __future__ import annotations

import asyncio
import socket
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509

from certpilot.api.core import Secret
from certpilot.server.admission import SignerResource, UserInfo
from certpilot.server.serving_certificates import ensure_ca
from certpilot.server.webhook import WebhookConfig, WebhookServer
from certpilot.store.sqlite import SQLiteStore


class NobodyMayApprove:
    async def resource_for(self, group: str, kind: str) -> SignerResource | None:
        return None

    async def may_approve(self, user: UserInfo, signer_name: str) -> bool:
        return False


def served(port: int, ca_pem: bytes) -> x509.Certificate:
    context = ssl.create_default_context(cadata=ca_pem.decode())
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


async def test_ca_is_created_once_and_shared(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        first = await ensure_ca(store, "cert-manager", "ca", now)
        second = await ensure_ca(store, "cert-manager", "ca", now + timedelta(days=1))
        secret = await store.get(Secret, "ca", "cert-manager")
    finally:
        await store.close()
    assert first.certificate == second.certificate
    assert secret.type == "kubernetes.io/tls"
    assert secret.get_data("ca.crt") == first.certificate_pem
    assert first.certificate.not_valid_after_utc - first.certificate.not_valid_before_utc == timedelta(
        days=365
    )


async def test_serving_certificate_renews_when_due_and_when_the_ca_changes(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    clock = [datetime.now(UTC) - timedelta(days=6)]  # so renewed certificates are valid by the real clock
    config = WebhookConfig("127.0.0.1:0", ("127.0.0.1", "webhook.example"), "cert-manager", "ca")
    server = WebhookServer(store, NobodyMayApprove(), config, now=lambda: clock[0])
    await server.start()
    try:
        first = server.serving.certificate
        port, ca_pem = server.port, server.ca.certificate_pem
        assert (await asyncio.to_thread(served, port, ca_pem)).serial_number == first.serial_number
        sans = first.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert sans.get_values_for_type(x509.DNSName) == ["webhook.example"]

        clock[0] += timedelta(days=4)  # before 2/3 of 7 days
        assert not await server.rotate()
        clock[0] += timedelta(days=1)  # past it
        assert await server.rotate()
        renewed = server.serving.certificate
        assert renewed.serial_number != first.serial_number
        port, ca_pem = server.port, server.ca.certificate_pem
        assert (await asyncio.to_thread(served, port, ca_pem)).serial_number == renewed.serial_number

        await store.delete(Secret, "ca", "cert-manager")  # a user replaces the CA
        assert await server.rotate()
        assert server.ca.certificate_pem != ca_pem
        reissued = await asyncio.to_thread(served, server.port, server.ca.certificate_pem)
        assert reissued.issuer == server.ca.certificate.subject
        assert reissued.serial_number == server.serving.certificate.serial_number
    finally:
        await server.stop()
        await store.close()
