"""What checking a SQLite store's integrity at open costs: a store holding N issued Certificates
(each with its Secret, one CertificateRequest with CSR and chain, and one Event, written through the
Store as the daemon writes them) is opened with no check, with `PRAGMA quick_check` and with
`PRAGMA integrity_check`, --repeats times each (the file is in the page cache, as it is when a
daemon restarts); the medians and the file size are reported.

usage: python bench/store_integrity.py [--n 10000] [--repeats 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from common import emit, machine_facts

from certpilot.api.certificaterequest import CertificateRequest, CertificateRequestSpec
from certpilot.api.common import IssuerReference, ObjectReference
from certpilot.api.core import Event
from certpilot.api.meta import ObjectMeta
from certpilot.pki.csr import build_csr, csr_to_pem
from certpilot.store.sqlite import SQLiteStore
from certpilot.store.sqlite_schema import open_connection
from certpilot.testing.builders import certificate, ec_key, issued_secret

NAMESPACE = "bench"
BATCH = 1000


async def seed(path: Path, n: int) -> None:
    store = SQLiteStore(path)
    key = ec_key()
    template = certificate("template", NAMESPACE, dns_names=["template.bench.example"])
    csr_b64 = base64.b64encode(csr_to_pem(build_csr(template.spec, key))).decode()

    async def one(index: int) -> None:
        cert = certificate(f"c{index:05d}", NAMESPACE, dns_names=[f"c{index:05d}.bench.example"])
        stored = await store.create(cert)
        await store.create(issued_secret(cert, key))
        await store.create(
            CertificateRequest(
                metadata=ObjectMeta(name=f"{cert.name}-1", namespace=NAMESPACE),
                spec=CertificateRequestSpec(issuer_ref=IssuerReference(name="ca"), request=csr_b64),
            )
        )
        await store.create(
            Event(
                metadata=ObjectMeta(name=f"{cert.name}.issued", namespace=NAMESPACE),
                involved_object=ObjectReference(
                    kind="Certificate", name=cert.name, namespace=NAMESPACE, uid=stored.metadata.uid
                ),
                reason="Issuing",
                message="The certificate has been successfully issued",
                type="Normal",
            )
        )

    try:
        for start in range(0, n, BATCH):
            await asyncio.gather(*(one(i) for i in range(start, min(n, start + BATCH))))
    finally:
        await store.close()


def timed_open(path: Path, check: str | None) -> float:
    started = time.perf_counter()
    connection = open_connection(str(path))
    if check is not None:
        answer = connection.execute(f"PRAGMA {check}").fetchone()[0]
        assert answer == "ok", answer
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    facts = machine_facts()
    with tempfile.TemporaryDirectory(prefix="certpilot-integrity-") as scratch:
        workdir = args.keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        path = workdir / "store.db"
        started = time.perf_counter()
        asyncio.run(seed(path, args.n))
        seeded = time.perf_counter() - started
        # Fold the WAL into the file: a restarted daemon finds it checkpointed.
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        results = {}
        for check in (None, "quick_check", "integrity_check"):
            times = [timed_open(path, check) for _ in range(args.repeats)]
            results[check or "no_check"] = round(statistics.median(times) * 1000, 1)
        size_mb = round(path.stat().st_size / 2**20, 1)
    emit(
        {
            "benchmark": "store_integrity",
            "machine": facts,
            "n": args.n,
            "store_mb": size_mb,
            "seed_s": round(seeded, 1),
            "open_ms": results,
        },
        f"store_integrity n={args.n} ({size_mb} MB): open {results['no_check']} ms, with quick_check "
        f"{results['quick_check']} ms, with integrity_check {results['integrity_check']} ms",
    )


if __name__ == "__main__":
    main()
