"""The Vault issuer's decisions as pure functions (paths, chains, health, scrubbing), its
credentials' reprs, and two calls that need no Vault: an unreachable server, and the shape of the
Kubernetes login (no Kubernetes API server can run here to back OpenBao's kubernetes auth, so a
local HTTP server stands in for Vault and records what certpilot sends)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from certpilot.issuers.base import IssuerContext, IssuerNotReady, Permanent
from certpilot.issuers.vault import (
    VaultIssuerBackend,
    health_problem,
    mount_of,
    scrubbed,
    signed_from_response,
    signing_path,
    ttl_of,
)
from certpilot.issuers.vault_auth import AppRoleAuth, KubernetesAuth, TokenAuth, login
from certpilot.issuers.vault_connection import ClientCertificate, VaultConnection, new_client
from certpilot.runtime.clock import SystemClock
from certpilot.store.sqlite import SQLiteStore
from certpilot.testing.peers.openbao import OpenBaoServer
from certpilot.testing.peers.ports import free_port
from tests.e2e.vault.vault_harness import certificate_request, csr_pem
from tests.e2e.vault.vault_objects import secret, token_auth, vault_issuer


@pytest.mark.parametrize(
    ("path", "is_ca", "posted_to"),
    [
        ("pki/sign/web", False, "/v1/pki/sign/web"),
        ("/pki_int/sign/web/", False, "/v1/pki_int/sign/web"),
        ("pki/sign-verbatim", False, "/v1/pki/sign-verbatim"),
        ("team/pki/sign-verbatim/web", False, "/v1/team/pki/sign-verbatim/web"),
        ("pki/sign/web", True, "/v1/pki/root/sign-intermediate"),
        ("team/pki/sign-verbatim", True, "/v1/team/pki/root/sign-intermediate"),
    ],
)
def test_signing_path(path: str, is_ca: bool, posted_to: str) -> None:
    assert signing_path(path, is_ca) == posted_to


def test_a_path_without_a_signing_endpoint_is_refused_for_ca_requests() -> None:
    with pytest.raises(Permanent, match="not a signing path"):
        mount_of("pki/roles/web")


def test_ttl_is_the_requested_duration_in_seconds() -> None:
    assert ttl_of(timedelta(hours=2, seconds=5)) == "7205s"


def _certificate(
    subject: str, issuer: tuple[str, ec.EllipticCurvePrivateKey] | None
) -> tuple[x509.Certificate, Any]:
    key = ec.generate_private_key(ec.SECP256R1())
    issuer_name, issuer_key = issuer if issuer else (subject, key)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(hours=1))
        .sign(issuer_key, hashes.SHA256())
    )
    return cert, key


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(Encoding.PEM).decode()


def test_chain_drops_the_root_and_ca_is_the_root() -> None:
    root, root_key = _certificate("root", None)
    intermediate, intermediate_key = _certificate("intermediate", ("root", root_key))
    leaf, _ = _certificate("leaf", ("intermediate", intermediate_key))
    signed = signed_from_response(
        {
            "certificate": _pem(leaf),
            "ca_chain": [_pem(intermediate), _pem(root)],
            "issuing_ca": _pem(intermediate),
        }
    )
    assert x509.load_pem_x509_certificates(signed.certificate) == [leaf, intermediate]
    assert x509.load_pem_x509_certificate(signed.ca) == root


def test_without_ca_chain_the_issuing_ca_is_used() -> None:
    root, root_key = _certificate("root", None)
    leaf, _ = _certificate("leaf", ("root", root_key))
    signed = signed_from_response({"certificate": _pem(leaf), "issuing_ca": _pem(root)})
    assert x509.load_pem_x509_certificates(signed.certificate) == [leaf]
    assert x509.load_pem_x509_certificate(signed.ca) == root


@pytest.mark.parametrize(
    ("health", "problem"),
    [
        ({"initialized": True, "sealed": False}, None),
        ({"initialized": True, "sealed": True}, "Vault is sealed"),
        ({"initialized": False, "sealed": True}, "Vault is not initialized"),
    ],
)
def test_health_problem(health: dict[str, bool], problem: str | None) -> None:
    assert health_problem(health) == problem


def test_scrubbed_replaces_every_secret() -> None:
    assert scrubbed("bad token s.abc in s.abc", ["s.abc", ""]) == "bad token <redacted> in <redacted>"


def test_credentials_never_show_their_secrets_in_reprs() -> None:
    shown = repr(
        [
            TokenAuth("s.token-value"),
            AppRoleAuth("approle", "role-id", "secret-id-value"),
            KubernetesAuth("/v1/auth/kubernetes", "role", "jwt-value"),
            ClientCertificate(b"CERT", b"KEY-VALUE"),
        ]
    )
    for secret_value in ("s.token-value", "secret-id-value", "jwt-value", "KEY-VALUE"):
        assert secret_value not in shown


async def test_an_unreachable_vault_is_an_issuer_not_ready_error(tmp_path: Path) -> None:
    closed = OpenBaoServer(tmp_path / "never-started")
    closed.port = free_port()
    store = SQLiteStore(tmp_path / "store.db")
    try:
        await store.create(secret("vault-token", token=b"s.never-sent"))
        issuer = vault_issuer("vault", closed, "pki/sign/web", token_auth("vault-token"))
        ctx = IssuerContext(issuer=issuer, resource_namespace="default", store=store, clock=SystemClock())
        request = certificate_request("web", "vault", csr_pem("web.example.test", ["web.example.test"]))
        with pytest.raises(IssuerNotReady, match="unreachable") as raised:
            await VaultIssuerBackend().sign(ctx, request)
    finally:
        await store.close()
    assert raised.value.reason == "VaultError" and "s.never-sent" not in str(raised.value)


class _RecordingVault(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append((self.path, body))
        answer = json.dumps({"auth": {"client_token": "s.from-kubernetes-login"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def recording_vault() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingVault)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_kubernetes_login_posts_role_and_jwt_to_the_mount_path(recording_vault: str) -> None:
    client = new_client(VaultConnection(url=recording_vault))
    login(client, KubernetesAuth("/v1/auth/k8s-prod", "certpilot", "eyJ.jwt.value"))
    assert _RecordingVault.received[-1] == (
        "/v1/auth/k8s-prod/login",
        {"role": "certpilot", "jwt": "eyJ.jwt.value"},
    )
    assert client.token == "s.from-kubernetes-login"
