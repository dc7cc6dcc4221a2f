"""SQLite store write throughput: many concurrent writers, as the controllers produce them.

Each simulated certificate does 10 writes (create, 4 updates, 4 status updates, a Secret create),
all certificates at once, so group commit batches them. Prints one JSON object.

usage: python bench/store_writes.py [--certificates N] [--path FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from certpilot.api.certificate import Certificate, CertificateSpec, CertificateStatus
from certpilot.api.common import IssuerReference
from certpilot.api.core import Secret
from certpilot.api.meta import ObjectMeta
from certpilot.store.sqlite import SQLiteStore

WRITES_PER_CERTIFICATE = 10


async def certificate_lifecycle(store: SQLiteStore, i: int) -> None:
    name = f"cert-{i}"
    cert = await store.create(
        Certificate(
            metadata=ObjectMeta(name=name, namespace="bench"),
            spec=CertificateSpec(
                secret_name=f"{name}-tls",
                issuer_ref=IssuerReference(name="ca"),
                dns_names=[f"{name}.example.com"],
            ),
        )
    )
    for revision in range(4):
        cert.metadata.labels = {"step": str(revision)}
        cert = await store.update(cert)
        cert.status = CertificateStatus(revision=revision)
        cert = await store.update_status(cert)
    tls = Secret(metadata=ObjectMeta(name=f"{name}-tls", namespace="bench"), type="kubernetes.io/tls")
    tls.set_data("tls.crt", b"-----BEGIN CERTIFICATE-----\n" + b"A" * 1200)
    await store.create(tls)


async def run(certificates: int, path: Path) -> dict[str, float | int | str]:
    store = SQLiteStore(path)
    started = time.perf_counter()
    await asyncio.gather(*(certificate_lifecycle(store, i) for i in range(certificates)))
    elapsed = time.perf_counter() - started
    await store.close()
    writes = certificates * WRITES_PER_CERTIFICATE
    return {
        "certificates": certificates,
        "writes": writes,
        "seconds": round(elapsed, 3),
        "writes_per_s": round(writes / elapsed),
        "certificates_per_s": round(certificates / elapsed),
        "synchronous": "FULL",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--certificates", type=int, default=1000)
    parser.add_argument("--path", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = args.path or Path(scratch) / "bench.db"
        print(json.dumps(asyncio.run(run(args.certificates, path))))


if __name__ == "__main__":
    main()
