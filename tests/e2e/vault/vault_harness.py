"""certpilot's controllers running in this process on a SQLite store, and the helpers the Vault
end-to-end tests share: CertificateRequests from CSRs, waiting for conditions, openssl verify."""

from __future__ import annotations

import asyncio
import base64
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from certpilot.api.certificaterequest import CertificateRequest, CertificateRequestSpec
from certpilot.api.common import IssuerReference
from certpilot.api.conditions import get_condition
from certpilot.api.issuer import Issuer
from certpilot.api.meta import Condition, ObjectMeta
from certpilot.controllers.certificaterequests import request_controllers as certificaterequests_setup
from certpilot.controllers.certificates import certificate_controllers as certificates_setup
from certpilot.controllers.issuers import issuer_controllers as issuers_setup
from certpilot.controllers.options import ControllerOptions
from certpilot.issuers.registry import IssuerBackends
from certpilot.runtime.manager import Manager
from certpilot.store.sqlite import SQLiteStore

T = TypeVar("T")
NAMESPACE = "default"


@asynccontextmanager
async def running_certpilot(
    store_path: Path,
    *,
    options: ControllerOptions | None = None,
    backends: IssuerBackends | None = None,
    certificates: bool = False,
) -> AsyncIterator[SQLiteStore]:
    """The issuer and CertificateRequest controllers (and the Certificate ones when asked)."""
    chosen = options or ControllerOptions()
    store = SQLiteStore(store_path)
    manager = Manager(store, workers_per_controller=1, thread_pool_size=4)
    factories = [
        *issuers_setup.build(chosen, backends),
        *certificaterequests_setup.build(chosen, backends),
        *(certificates_setup.build(chosen) if certificates else []),
    ]
    for factory in factories:
        manager.add(factory)
    await manager.start()
    try:
        yield store
    finally:
        await manager.stop()


async def eventually(probe: Callable[[], Awaitable[T | None]], what: str, seconds: float = 30.0) -> T:
    """The first non-None answer of probe, polled for at most `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        answer = await probe()
        if answer is not None:
            return answer
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def ready_condition(obj: object) -> Condition | None:
    status = getattr(obj, "status", None)
    return get_condition(status.conditions if status else None, "Ready")


def csr_pem(common_name: str, dns_names: list[str], *, is_ca: bool = False) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    )
    if dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False
        )
    if is_ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return builder.sign(key, hashes.SHA256()).public_bytes(Encoding.PEM)


def certificate_request(
    name: str,
    issuer: str,
    csr: bytes,
    *,
    duration: str | None = "1h",
    is_ca: bool | None = None,
    group: str | None = None,
    kind: str | None = None,
) -> CertificateRequest:
    return CertificateRequest(
        metadata=ObjectMeta(name=name, namespace=NAMESPACE),
        spec=CertificateRequestSpec(
            issuer_ref=IssuerReference(name=issuer, kind=kind, group=group),
            request=base64.b64encode(csr).decode(),
            duration=duration,
            is_ca=is_ca,
        ),
    )


def openssl_verify(chain_pem: bytes, root_pem: bytes, directory: Path) -> str:
    """Run `openssl verify` on the leaf of chain_pem with its intermediates, trusting root_pem."""
    certificates = x509.load_pem_x509_certificates(chain_pem)
    leaf, intermediates = certificates[0], certificates[1:]
    (directory / "leaf.pem").write_bytes(leaf.public_bytes(Encoding.PEM))
    (directory / "root.pem").write_bytes(root_pem)
    argv = ["openssl", "verify", "-CAfile", str(directory / "root.pem")]
    if intermediates:
        (directory / "untrusted.pem").write_bytes(
            b"".join(c.public_bytes(Encoding.PEM) for c in intermediates)
        )
        argv += ["-untrusted", str(directory / "untrusted.pem")]
    result = subprocess.run([*argv, str(directory / "leaf.pem")], capture_output=True, text=True, check=False)
    return (result.stdout + result.stderr).strip()


def client_ca_and_certificate(common_name: str) -> tuple[bytes, bytes, bytes]:
    """(CA PEM, client certificate PEM, client key PEM) for TLS client authentication."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{common_name} client CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    client = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    return ca.public_bytes(Encoding.PEM), client.public_bytes(Encoding.PEM), key_pem


async def issuer_ready(store: SQLiteStore, name: str) -> Condition:
    async def probe() -> Condition | None:
        ready = ready_condition(await store.get(Issuer, name, NAMESPACE))
        return ready if ready is not None and ready.status == "True" else None

    return await eventually(probe, f"Issuer {name} Ready")


async def request_finished(store: SQLiteStore, name: str) -> CertificateRequest:
    async def probe() -> CertificateRequest | None:
        cr = await store.get(CertificateRequest, name, NAMESPACE)
        ready = ready_condition(cr)
        return cr if ready is not None and ready.reason in ("Issued", "Failed") else None

    return await eventually(probe, f"CertificateRequest {name} Issued or Failed")


def issued_pems(cr: CertificateRequest) -> tuple[bytes, bytes]:
    assert cr.status is not None and cr.status.certificate and cr.status.ca, ready_condition(cr)
    return base64.b64decode(cr.status.certificate), base64.b64decode(cr.status.ca)
