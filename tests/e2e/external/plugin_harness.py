"""certpilot's issuer and CertificateRequest controllers in this process, on a SQLite store."""

from __future__ import annotations

import asyncio
import base64
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from certpilot.api.certificaterequest import CertificateRequest, CertificateRequestSpec
from certpilot.api.common import IssuerReference
from certpilot.api.meta import ObjectMeta
from certpilot.controllers.certificaterequests import request_controllers as certificaterequests_setup
from certpilot.controllers.issuers import issuer_controllers as issuers_setup
from certpilot.controllers.options import ControllerOptions
from certpilot.issuers.registry import IssuerBackends
from certpilot.runtime.manager import Manager
from certpilot.store.sqlite import SQLiteStore

T = TypeVar("T")


@asynccontextmanager
async def running_certpilot(
    store_path: Path, options: ControllerOptions, backends: IssuerBackends
) -> AsyncIterator[SQLiteStore]:
    store = SQLiteStore(store_path)
    manager = Manager(store, workers_per_controller=1, thread_pool_size=2)
    for factory in [
        *issuers_setup.build(options, backends),
        *certificaterequests_setup.build(options, backends),
    ]:
        manager.add(factory)
    await manager.start()
    try:
        yield store
    finally:
        await manager.stop()


async def eventually(probe: Callable[[], Awaitable[T | None]], what: str, seconds: float = 30.0) -> T:
    deadline = asyncio.get_running_loop().time() + seconds
    while (answer := await probe()) is None:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
    return answer


def request_for(name: str, dns_name: str, issuer: str, kind: str, group: str) -> CertificateRequest:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(dns_name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertificateRequest(
        metadata=ObjectMeta(name=name, namespace="default"),
        spec=CertificateRequestSpec(
            issuer_ref=IssuerReference(name=issuer, kind=kind, group=group),
            request=base64.b64encode(csr.public_bytes(Encoding.PEM)).decode(),
            duration="1h",
        ),
    )


def openssl_verify(chain_pem: bytes, ca_pem: bytes, directory: Path) -> str:
    """`openssl verify` of the chain's leaf against ca_pem (the chain holds no intermediates here)."""
    (directory / "ca.pem").write_bytes(ca_pem)
    (directory / "leaf.pem").write_bytes(chain_pem)
    result = subprocess.run(
        ["openssl", "verify", "-CAfile", str(directory / "ca.pem"), str(directory / "leaf.pem")],
        capture_output=True,
        text=True,
        check=False,
    )
    return (result.stdout + result.stderr).strip()
